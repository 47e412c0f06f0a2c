// `bareformer train CONFIG [--set k=v]... [--resume]`, `bareformer eval CKPT [--data DIR]`,
// `bareformer sample CKPT --prompt TEXT --tokens N [--temperature T --top-k K --seed S --data DIR]`.
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <numbers>

#include "cli/commands.h"
#include "train/checkpoint.h"
#include "train/sample.h"
#include "train/token_file.h"
#include "train/tokenizer.h"
#include "train/trainer.h"

namespace bf::cli {

Command add_train_command(CLI::App& app) {
  struct Options {
    std::string config;
    std::vector<std::string> overrides;
    bool resume = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("train", "Train a model from a JSON config");
  sub->add_option("config", opt->config, "JSON config file (configs/<preset>.json)")->required();
  sub->add_option("--set", opt->overrides, "Override a field: --set run.steps=200 (repeatable)");
  sub->add_flag("--resume", opt->resume, "Continue from run.out_dir/checkpoint.safetensors");
  return {sub, [opt]() {
            Config config = load_config(opt->config, opt->overrides);
            TrainOptions options;
            options.resume = opt->resume;
            TrainSummary s = train(config, options);
            std::cout << "done: train loss " << s.final_train_loss << ", val loss " << s.final_val_loss << " ("
                      << s.final_val_bpb << " bits/byte), " << static_cast<long long>(s.tokens_per_s) << " tok/s; "
                      << checkpoint_path(config) << "\n";
            return 0;
          }};
}

// Builds the model a checkpoint was trained as, on `device_name` (empty: the run's run.device), and loads
// its parameters. A device that is not available is a clear error before anything is read.
static Gpt load_model(const std::string& path, const std::string& device_name, Config& config_out) {
  CheckpointInfo info = read_checkpoint_info(path);
  config_out = info.config;
  const std::string chosen = device_name.empty() ? info.config.run.device : device_name;
  const Device device = device_from_name(chosen);
  BF_CHECK(device_available(device), "device ", chosen, ": ", device_unavailable_reason(device),
           device_name.empty() ? " (the checkpoint's run.device; pass --device cpu to run on the CPU)" : "");
  Gpt model(info.config.model, info.config.run.seed, info.config.model.dtype, device);
  load_checkpoint(path, model, nullptr);
  return model;
}

static void add_device_option(CLI::App* sub, std::string& device) {
  sub->add_option("--device", device, "cpu or cuda (default: the run's run.device)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
}

Command add_eval_command(CLI::App& app) {
  struct Options {
    std::string checkpoint, data, device;
    int batches = 0;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("eval", "Validation loss and bits per byte of a checkpoint");
  sub->add_option("checkpoint", opt->checkpoint, "A checkpoint.safetensors")->required();
  sub->add_option("--data", opt->data, "Folder with val.bin (default: the run's data.dir)");
  sub->add_option("--batches", opt->batches, "Validation batches (default: the run's run.eval_batches)");
  add_device_option(sub, opt->device);
  return {sub, [opt]() {
            Config config;
            Gpt model = load_model(opt->checkpoint, opt->device, config);
            const std::string dir = opt->data.empty() ? config.data.dir : opt->data;
            TokenFile val = TokenFile::load(dir + "/val.bin");
            const Tokenizer tokenizer = data_tokenizer_for(opt->checkpoint, dir);
            check_data_vocabulary(dir, tokenizer, config.model.vocab_size, {&val}, /*from_checkpoint=*/true);
            const EvalResult eval = evaluate_split(model, val, tokenizer.token_text_bytes(), config.data.batch_size,
                                                   config.data.seq_len,
                                                   opt->batches > 0 ? opt->batches : config.run.eval_batches);
            std::cout << "val loss " << eval.loss << "  bits/byte " << eval.bits_per_byte << "  (" << val.path() << ")\n";
            return 0;
          }};
}

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
    SampleOptions sample;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("sample", "Generate text from a checkpoint");
  sub->add_option("checkpoint", opt->checkpoint, "A checkpoint.safetensors")->required();
  sub->add_option("--prompt", opt->prompt, "Text to continue")->required();
  sub->add_option("--tokens", opt->sample.tokens, "Tokens to generate")->check(CLI::Range(1, 1000000));
  sub->add_option("--temperature", opt->sample.temperature, "Softmax temperature (0: greedy)")->check(CLI::Range(0.0, 100.0));
  sub->add_option("--top-k", opt->sample.top_k, "Sample among the k most likely (0: all)")->check(CLI::Range(0, 1 << 20));
  sub->add_option("--seed", opt->sample.seed, "Sampling seed");
  sub->add_option("--data", opt->data, "Data folder whose tokenizer.json encodes the prompt (default: the run's data.dir)");
  add_device_option(sub, opt->device);
  return {sub, [opt]() {
            Config config;
            Gpt model = load_model(opt->checkpoint, opt->device, config);
            const Tokenizer tokenizer = sample_tokenizer(opt->checkpoint, opt->data, config);
            const std::vector<uint16_t> prompt = tokenizer.encode(opt->prompt);
            const std::vector<int32_t> generated =
                sample_tokens(model, std::vector<int32_t>(prompt.begin(), prompt.end()), opt->sample);
            std::cout << opt->prompt << tokenizer.decode(generated) << "\n";
            return 0;
          }};
}

}  // namespace bf::cli
