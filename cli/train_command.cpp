// `bareformer train CONFIG [--set k=v]... [--resume]`, `bareformer eval CKPT [--data DIR]`,
// `bareformer sample CKPT --prompt TEXT --tokens N [--temperature T --top-k K --seed S]`.
#include <cmath>
#include <iostream>
#include <memory>
#include <numbers>

#include "cli/commands.h"
#include "train/checkpoint.h"
#include "train/checkpoint_validation.h"
#include "train/memory_estimate.h"
#include "train/sample.h"
#include "train/token_file.h"
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
            check_memory(config, MemoryUse::train, opt->config);  // before the run folder is touched
            TrainOptions options;
            options.resume = opt->resume;
            TrainSummary s = train(config, options);
            std::cout << summary_line(s, checkpoint_path(config)) << "\n";
            return 0;
          }};
}

// Builds the model a checkpoint was trained as, on `device_name` (empty: the run's run.device), and loads
// its parameters. A device that is not available is a clear error before anything is read.
static Gpt load_model(const std::string& path, const std::string& device_name, MemoryUse use, Config& config_out,
                      CheckpointInfo* info_out = nullptr) {
  CheckpointInfo info = read_checkpoint_info(path);  // the tensor table checked against its config, too
  check_memory(info.config, use, path);               // before the model is built
  config_out = info.config;
  if (info_out) *info_out = info;
  const std::string chosen = device_name.empty() ? info.config.run.device : device_name;
  const Device device = device_from_name(chosen);
  BF_CHECK(device_available(device), "device ", chosen, ": ", device_unavailable_reason(device),
           device_name.empty() ? " (the checkpoint's run.device; pass --device cpu to run on the CPU)" : "");
  Gpt model(info.config.model, info.config.run.seed, DType::f32, device);
  load_checkpoint(path, model, nullptr);
  return model;
}

// eval's val.bin: a vocabulary the model has, and, unless --data chose another corpus, the val.bin the
// run evaluated on (its fingerprint in the checkpoint): an edited data.dir must not go unnoticed.
static void check_eval_data(const TokenFile& val, const CheckpointInfo& info, const std::string& path, bool chosen) {
  BF_CHECK(val.vocab_size() <= info.config.model.vocab_size, val.path(), ": token vocabulary ", val.vocab_size(),
           " exceeds the checkpoint's model.vocab_size = ", info.config.model.vocab_size);
  if (chosen || info.val_data.empty()) return;
  const std::string found = token_file_fingerprint(val);
  BF_CHECK(found == info.val_data, path, ": metadata config data.dir ", info.config.data.dir,
           " holds a val.bin other than the one this run evaluated on (", found, "; the run's: ", info.val_data,
           "); pass --data to evaluate on another corpus");
}

// CLI11 reads "-1" into a uint64_t as 2^64 - 1 and saturates 23 digits to it: the text is checked first.
static CLI::Validator unsigned_64_bit_integer() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const std::string why = "expected an integer in [0, 18446744073709551615], got " + text;
        if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos) return why;
        uint64_t value = 0;
        for (char ch : text)
          if (__builtin_mul_overflow(value, uint64_t{10}, &value) ||
              __builtin_add_overflow(value, static_cast<uint64_t>(ch - '0'), &value))
            return why;
        return "";
      },
      "UINT64");
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
  sub->add_option("--batches", opt->batches, "Validation batches (default: the run's run.eval_batches)")
      ->check(CLI::Range(1, 1000000));  // run.eval_batches' range
  add_device_option(sub, opt->device);
  return {sub, [opt]() {
            Config config;
            CheckpointInfo info;
            Gpt model = load_model(opt->checkpoint, opt->device, MemoryUse::evaluate, config, &info);
            const std::string dir = opt->data.empty() ? config.data.dir : opt->data;
            TokenFile val = TokenFile::load(dir + "/val.bin");
            check_eval_data(val, info, opt->checkpoint, !opt->data.empty());
            const double loss = evaluate(model, val, config.data.batch_size, config.data.seq_len,
                                         opt->batches > 0 ? opt->batches : config.run.eval_batches);
            std::cout << "val loss " << loss << "  bits/byte " << loss / std::numbers::ln2 << "  (" << val.path() << ")\n";
            return 0;
          }};
}

Command add_sample_command(CLI::App& app) {
  struct Options {
    std::string checkpoint, prompt, device;
    SampleOptions sample;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("sample", "Generate text from a checkpoint");
  sub->add_option("checkpoint", opt->checkpoint, "A checkpoint.safetensors")->required();
  sub->add_option("--prompt", opt->prompt, "Text to continue")->required();
  sub->add_option("--tokens", opt->sample.tokens, "Tokens (bytes) to generate")->check(CLI::Range(1, 1000000));
  sub->add_option("--temperature", opt->sample.temperature, "Softmax temperature (0: greedy)")->check(CLI::Range(0.0, 100.0));
  sub->add_option("--top-k", opt->sample.top_k, "Sample among the k most likely (0: all)")->check(CLI::Range(0, 1 << 20));
  sub->add_option("--seed", opt->sample.seed, "Sampling seed")->check(unsigned_64_bit_integer());
  add_device_option(sub, opt->device);
  return {sub, [opt]() {
            Config config;
            Gpt model = load_model(opt->checkpoint, opt->device, MemoryUse::sample, config);
            std::cout << opt->prompt << sample_text(model, opt->prompt, opt->sample) << "\n";
            return 0;
          }};
}

}  // namespace bf::cli
