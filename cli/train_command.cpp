// `bareformer train CONFIG [--set k=v]...`, `bareformer train --resume RUN_DIR|CONFIG [--set k=v]...
// [--accept-changes]` (train/resume.h), `bareformer eval CKPT [--data DIR] [--all]`; the checkpoint loading
// `sample` shares (cli/sample_command.cpp).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <numbers>
#include <sstream>

#include "cli/commands.h"
#include "train/batches.h"
#include "train/checkpoint.h"
#include "train/resume.h"
#include "train/token_file.h"
#include "train/tokenizer.h"
#include "train/trainer.h"

namespace bf::cli {

Command add_train_command(CLI::App& app) {
  struct Options {
    std::string config;
    std::vector<std::string> overrides;
    bool resume = false, accept_changes = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("train", "Train a model from a JSON config, or continue a run (--resume)");
  sub->add_option("config", opt->config, "JSON config file (configs/<preset>.json); with --resume, the run folder or the config naming it");
  sub->add_option("--set", opt->overrides, "Override a field: --set run.steps=200 (repeatable)");
  sub->add_flag("--resume", opt->resume, "Continue a run from its checkpoint and saved config: --resume RUN_DIR");
  sub->add_flag("--accept-changes", opt->accept_changes,
                "With --resume: continue with the settings that differ from the saved run (recorded in metrics.jsonl)");
  return {sub, [opt]() {
            Config config;
            TrainOptions options;
            if (opt->resume) {
              BF_CHECK(!opt->config.empty(), "train --resume: name the run folder (bareformer train --resume runs/x) or the config file whose run.out_dir it is");
              ResumeRequest request;
              (std::filesystem::is_directory(opt->config) ? request.run_dir : request.config_file) = opt->config;
              request.overrides = opt->overrides;
              request.accept_changes = opt->accept_changes;
              const ResumePlan plan = plan_resume(request);
              config = plan.config;
              options.resume = true;
              options.accepted_changes = plan.changes_event();
              for (const ConfigChange& c : plan.changes)
                std::cout << "resume: " << c.key << " changes from " << c.saved.dump() << " to " << c.current.dump() << "\n";
            } else {
              BF_CHECK(!opt->config.empty(), "train: name a config file (bareformer train configs/sas_p.json), or --resume a run folder");
              BF_CHECK(!opt->accept_changes, "train --accept-changes: only with --resume");
              config = load_config(opt->config, opt->overrides);
            }
            const TrainSummary s = train(config, options);
            if (s.already_finished) return 0;
            // Only what this process measured.
            std::string line = "done:";
            auto part = [&](const std::string& text) { line += (line == "done:" ? " " : ", ") + text; };
            char buf[96];
            if (std::isfinite(s.final_train_loss)) std::snprintf(buf, sizeof buf, "train loss %.4f", s.final_train_loss), part(buf);
            if (std::isfinite(s.final_val_loss))
              std::snprintf(buf, sizeof buf, "val loss %.4f (%.4f bits/byte)", s.final_val_loss, s.final_val_bpb), part(buf);
            if (std::isfinite(s.tokens_per_s)) std::snprintf(buf, sizeof buf, "%.0f tok/s", s.tokens_per_s), part(buf);
            std::cout << line << "; " << checkpoint_path(config) << "\n";
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
