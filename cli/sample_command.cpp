// `bareformer sample CKPT [--prompt TEXT] [--tokens N] [--temperature T] [--top-k K] [--top-p P]
// [--num-samples N] [--seed S] [--sliding-window] [--no-cache]`: text from a checkpoint, printed as it is
// drawn.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "train/sample.h"

namespace bf::cli {

Command add_sample_command(CLI::App& app) {
  struct Options {
    std::string checkpoint, prompt, device;
    int num_samples = 1;
    bool no_cache = false;
    SampleOptions sample;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("sample", "Generate text from a checkpoint");
  sub->add_option("checkpoint", opt->checkpoint, "A checkpoint.safetensors")->required();
  sub->add_option("--prompt", opt->prompt, "Text to continue (none: start after a newline byte)");
  sub->add_option("--tokens", opt->sample.tokens, "Tokens (bytes) to generate")->check(CLI::Range(1, 1000000));
  sub->add_option("--temperature", opt->sample.temperature, "Softmax temperature (0: greedy)")->check(CLI::Range(0.0, 100.0));
  sub->add_option("--top-k", opt->sample.top_k, "Sample among the k most likely (0: all)")->check(CLI::Range(0, 1 << 20));
  sub->add_option("--top-p", opt->sample.top_p, "Then among the fewest most likely whose probability reaches p (1: all)")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--num-samples", opt->num_samples, "Independent samples; sample k uses seed + k")->check(CLI::Range(1, 10000));
  sub->add_option("--seed", opt->sample.seed, "Sampling seed");
  sub->add_flag("--sliding-window", opt->sample.sliding_window,
                "Past model.max_seq_len positions, continue from the last max_seq_len / 2 tokens (default: stop)");
  sub->add_flag("--no-cache", opt->no_cache, "Recompute the whole context for every token (no KV cache; slow)");
  add_device_option(sub, opt->device);
  return {sub, [opt]() {
            BF_CHECK(opt->sample.top_p > 0, "sample: --top-p must be in (0, 1], got 0");
            Config config;
            Gpt model = load_model(opt->checkpoint, opt->device, config);
            opt->sample.use_cache = !opt->no_cache;
            const uint64_t seed = opt->sample.seed;
            for (int k = 0; k < opt->num_samples; ++k) {
              if (opt->num_samples > 1) std::cout << "--- sample " << k + 1 << " of " << opt->num_samples << " (seed " << seed + k << ") ---\n";
              SampleOptions options = opt->sample;
              options.seed = seed + k;
              // Byte-level tokens: each id is one byte of output, written as soon as it is drawn; the prompt
              // goes first, once the checks have passed and the first token is drawn.
              bool started = false;
              auto start = [&] {
                if (!started) std::cout << opt->prompt;
                started = true;
              };
              const SampleResult r = sample_tokens(model, prompt_tokens(opt->prompt), options, [&](int32_t id) {
                start();
                std::cout.put(static_cast<char>(id));
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
