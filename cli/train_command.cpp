// `bareformer train CONFIG [--set k=v]... [--resume]`, `bareformer eval CKPT [--data DIR] [--all]`; the
// checkpoint loading `sample` shares (cli/sample_command.cpp).
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <numbers>
#include <sstream>

#include "cli/commands.h"
#include "train/batches.h"
#include "train/checkpoint.h"
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
Gpt load_model(const std::string& path, const std::string& device_name, Config& config_out) {
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

void add_device_option(CLI::App* sub, std::string& device) {
  sub->add_option("--device", device, "cpu or cuda (default: the run's run.device)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
}

// "val loss L  perplexity e^L  bits/byte B  (N of M tokens scored, FILE)": what was scored. Bits per byte
// are of the original text the scored targets stand for (EvalResult), so every tokenizer reads on one scale.
static std::string eval_line(const EvalResult& eval, const TokenFile& val) {
  std::ostringstream line;
  line << "val loss " << eval.loss << "  perplexity " << std::exp(eval.loss) << "  bits/byte " << eval.bits_per_byte
       << "  (" << eval.tokens << " of " << val.size() << " tokens scored, " << val.path() << ")";
  return line.str();
}

Command add_eval_command(CLI::App& app) {
  struct Options {
    std::string checkpoint, data, device;
    int batches = 0;
    bool all = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("eval", "Validation loss and bits per byte of a checkpoint");
  sub->add_option("checkpoint", opt->checkpoint, "A checkpoint.safetensors")->required();
  sub->add_option("--data", opt->data, "Folder with val.bin (default: the run's data.dir)");
  CLI::Option* batches =
      sub->add_option("--batches", opt->batches, "Validation batches (default: the run's run.eval_batches)");
  sub->add_flag("--all", opt->all, "Score the whole validation split (every window of data.seq_len)")->excludes(batches);
  add_device_option(sub, opt->device);
  return {sub, [opt]() {
            Config config;
            Gpt model = load_model(opt->checkpoint, opt->device, config);
            const std::string dir = opt->data.empty() ? config.data.dir : opt->data;
            TokenFile val = TokenFile::load(dir + "/val.bin");
            const Tokenizer tokenizer = data_tokenizer_for(opt->checkpoint, dir);
            check_data_vocabulary(dir, tokenizer, config.model.vocab_size, {&val}, /*from_checkpoint=*/true);
            // --all: no limit on the windows (max_batches = 0).
            const int batches = opt->all ? 0 : opt->batches > 0 ? opt->batches : config.run.eval_batches;
            const EvalResult eval = evaluate_split(model, val, tokenizer.token_text_bytes(), config.data.batch_size,
                                                   config.data.seq_len, batches);
            std::cout << eval_line(eval, val) << "\n";
            return 0;
          }};
}

}  // namespace bf::cli
