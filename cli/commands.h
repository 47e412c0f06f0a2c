// Each `bareformer` subcommand lives in cli/<name>_command.cpp: it registers its options on the CLI11
// app and returns how to run it once chosen.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "nn/gpt.h"
#include "train/config.h"

namespace bf::cli {

struct Command {
  CLI::App* subcommand;
  std::function<int()> run;  // returns the exit status
};

// Builds the model a checkpoint was trained as, on `device_name` (empty: the run's run.device), and loads
// its parameters (cli/train_command.cpp); `config_out` receives the run's config.
Gpt load_model(const std::string& path, const std::string& device_name, Config& config_out);
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
