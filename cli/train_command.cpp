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
#include "train/checkpoint_validation.h"
#include "train/memory_estimate.h"
#include "train/resume.h"
#include "io/token_file.h"
#include "text/tokenizer.h"
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
            check_memory(config, MemoryUse::train, opt->config);  // before the run folder is touched
            const TrainSummary s = train(config, options);
            if (s.already_finished) return 0;
            std::cout << summary_line(s, checkpoint_path(config)) << "\n";  // only what this process measured
            return 0;
          }};
}

// Builds the model a checkpoint was trained as, on `device_name` (empty: the run's run.device), and loads
// its parameters. A device that is not available is a clear error before anything is read.
Gpt load_model(const std::string& path, const std::string& device_name, MemoryUse use, Config& config_out,
               CheckpointInfo* info_out) {
  CheckpointInfo info = read_checkpoint_info(path);  // the tensor table checked against its config, too
  check_memory(info.config, use, path);               // before the model is built
  config_out = info.config;
  if (info_out) *info_out = info;
  const std::string chosen = device_name.empty() ? std::string(bf::device_name(info.config.run.device)) : device_name;
  const Device device = device_from_name(chosen);
  BF_CHECK(device_available(device), "device ", chosen, ": ", device_unavailable_reason(device),
           device_name.empty() ? " (the checkpoint's run.device; pass --device cpu to run on the CPU)" : "");
  Gpt model(info.config.model, info.config.run.seed, info.config.model.dtype, device);
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
CLI::Validator unsigned_64_bit_integer() {
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
      sub->add_option("--batches", opt->batches, "Validation batches (default: the run's run.eval_batches)")
          ->check(CLI::Range(1, 1000000));  // run.eval_batches' range
  sub->add_flag("--all", opt->all, "Score the whole validation split (every window of data.seq_len)")->excludes(batches);
  add_device_option(sub, opt->device);
  return {sub, [opt]() {
            Config config;
            CheckpointInfo info;
            Gpt model = load_model(opt->checkpoint, opt->device, MemoryUse::evaluate, config, &info);
            const std::string dir = opt->data.empty() ? config.data.dir : opt->data;
            TokenFile val = TokenFile::load(dir + "/val.bin");
            const Tokenizer tokenizer = data_tokenizer_for(opt->checkpoint, dir);
            check_data_vocabulary(dir, tokenizer, config.model.vocab_size, {&val}, /*from_checkpoint=*/true);
            check_eval_data(val, info, opt->checkpoint, !opt->data.empty());
            // --all: no limit on the windows (max_batches = 0).
            const int batches = opt->all ? 0 : opt->batches > 0 ? opt->batches : config.run.eval_batches;
            const EvalResult eval = evaluate_split(model, val, tokenizer.token_text_bytes(), config.data.batch_size,
                                                   config.data.seq_len, batches);
            std::cout << eval_line(eval, val) << "\n";
            return 0;
          }};
}

}  // namespace bf::cli
