// `bareformer sample CKPT [--prompt TEXT] [--tokens N] [--temperature T] [--top-k K] [--top-p P]
// [--num-samples N] [--seed S] [--sliding-window] [--no-cache] [--data DIR]`: text from a checkpoint,
// printed as it is drawn, through the run's tokenizer.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "train/sample.h"
#include "text/tokenizer.h"

namespace bf::cli {

// The tokenizer sampling encodes the prompt and decodes tokens with: the copy the run kept beside the
// checkpoint, or with --data (or without a kept copy) the data folder's, the run's data.dir by default.
// A byte-level model may sample without any; another needs a tokenizer.json.
static Tokenizer sample_tokenizer(const std::string& checkpoint, const std::string& data_flag, const Config& config) {
  std::optional<Tokenizer> kept = kept_tokenizer(checkpoint);
  if (kept && data_flag.empty()) return *kept;
  const std::string dir = data_flag.empty() ? config.data.dir : data_flag;
  std::error_code ec;
  const bool exists = std::filesystem::is_directory(dir, ec);
  BF_CHECK(exists || data_flag.empty(), "sample: --data ", data_flag, " is not a folder");
  if (exists) {
    const Tokenizer tokenizer = data_tokenizer_for(checkpoint, dir);
    check_data_vocabulary(dir, tokenizer, config.model.vocab_size, {}, /*from_checkpoint=*/true);
    return tokenizer;
  }
  BF_CHECK(config.model.vocab_size == 256, "sample: the run's data folder ", dir, " does not exist, and a model of vocab ",
           config.model.vocab_size, " needs its tokenizer.json to encode the prompt: pass --data DIR");
  return Tokenizer::bytes();
}

Command add_sample_command(CLI::App& app) {
  struct Options {
    std::string checkpoint, prompt, device, data;
    int num_samples = 1;
    bool no_cache = false;
    SampleOptions sample;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("sample", "Generate text from a checkpoint");
  sub->add_option("checkpoint", opt->checkpoint, "A checkpoint.safetensors")->required();
  sub->add_option("--prompt", opt->prompt, "Text to continue (none: start after a newline byte)");
  sub->add_option("--tokens", opt->sample.tokens, "Tokens to generate")->check(CLI::Range(1, 1000000));
  sub->add_option("--temperature", opt->sample.temperature, "Softmax temperature (0: greedy)")->check(CLI::Range(0.0, 100.0));
  sub->add_option("--top-k", opt->sample.top_k, "Sample among the k most likely (0: all)")->check(CLI::Range(0, 1 << 20));
  sub->add_option("--top-p", opt->sample.top_p, "Then among the fewest most likely whose probability reaches p (1: all)")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--num-samples", opt->num_samples, "Independent samples; sample k uses seed + k")->check(CLI::Range(1, 10000));
  sub->add_option("--seed", opt->sample.seed, "Sampling seed")->check(unsigned_64_bit_integer());
  sub->add_flag("--sliding-window", opt->sample.sliding_window,
                "Past model.max_seq_len positions, continue from the last max_seq_len / 2 tokens (default: stop)");
  sub->add_flag("--no-cache", opt->no_cache, "Recompute the whole context for every token (no KV cache; slow)");
  sub->add_option("--data", opt->data, "Data folder whose tokenizer.json encodes the prompt (default: the run's own copy, else its data.dir)");
  add_device_option(sub, opt->device);
  return {sub, [opt]() {
            BF_CHECK(opt->sample.top_p > 0, "sample: --top-p must be in (0, 1], got 0");
            Config config;
            Gpt model = load_model(opt->checkpoint, opt->device, MemoryUse::sample, config);
            const Tokenizer tokenizer = sample_tokenizer(opt->checkpoint, opt->data, config);
            // No prompt: start after a newline, the text every line of a file follows.
            const std::vector<uint16_t> encoded = tokenizer.encode(opt->prompt.empty() ? std::string("\n") : opt->prompt);
            const std::vector<int32_t> prompt(encoded.begin(), encoded.end());
            opt->sample.use_cache = !opt->no_cache;
            const uint64_t seed = opt->sample.seed;
            for (int k = 0; k < opt->num_samples; ++k) {
              if (opt->num_samples > 1) std::cout << "--- sample " << k + 1 << " of " << opt->num_samples << " (seed " << seed + k << ") ---\n";
              SampleOptions options = opt->sample;
              options.seed = seed + k;
              // Each id is written as soon as it is drawn (its bytes; one byte for byte-level tokens); the
              // prompt goes first, once the checks have passed and the first token is drawn.
              bool started = false;
              auto start = [&] {
                if (!started) std::cout << opt->prompt;
                started = true;
              };
              const SampleResult r = sample_tokens(model, prompt, options, [&](int32_t id) {
                start();
                std::cout << tokenizer.decode({id});
                std::cout.flush();
              });
              start();
              std::cout << "\n" << std::flush;
              if (r.stopped_at_limit)
                std::cerr << "sample: stopped after " << r.tokens.size() << " of " << options.tokens
                          << " tokens: the context filled the model's " << config.model.max_seq_len
                          << " positions (model.max_seq_len); --sliding-window continues past it\n";
            }
            return 0;
          }};
}

}  // namespace bf::cli
