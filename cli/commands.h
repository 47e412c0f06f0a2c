// Each `bareformer` subcommand lives in cli/<name>_command.cpp: it registers its options on the CLI11
// app and returns how to run it once chosen.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "nn/gpt.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/memory_estimate.h"

namespace bf::cli {

struct Command {
  CLI::App* subcommand;
  std::function<int()> run;  // returns the exit status
};

// Builds the model a checkpoint was trained as, on `device_name` (empty: the run's run.device), and loads
// its parameters (cli/train_command.cpp); `config_out` receives the run's config, `info_out` (when given) the
// checkpoint's metadata. The memory `use` needs is checked against the machine before the model is built.
Gpt load_model(const std::string& path, const std::string& device_name, MemoryUse use, Config& config_out,
               CheckpointInfo* info_out = nullptr);
// A CLI11 check for a uint64 option (a seed): digits only, at most 2^64 - 1 (CLI11 alone saturates).
CLI::Validator unsigned_64_bit_integer();
// --device cpu|cuda, default: the run's run.device.
void add_device_option(CLI::App* sub, std::string& device);

Command add_gradcheck_command(CLI::App& app);
Command add_describe_command(CLI::App& app);
Command add_train_command(CLI::App& app);
Command add_eval_command(CLI::App& app);
Command add_sample_command(CLI::App& app);
Command add_prepare_command(CLI::App& app);
Command add_compare_command(CLI::App& app);
Command add_config_doc_command(CLI::App& app);
Command add_trace_command(CLI::App& app);
Command add_walkthrough_command(CLI::App& app);
Command add_diagnose_command(CLI::App& app);
Command add_plot_command(CLI::App& app);
Command add_sweep_command(CLI::App& app);
Command add_export_command(CLI::App& app);

}  // namespace bf::cli
