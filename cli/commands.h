// Each `bareformer` subcommand lives in cli/<name>_command.cpp: it registers its options on the CLI11
// app and returns how to run it once chosen.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace bf::cli {

struct Command {
  CLI::App* subcommand;
  std::function<int()> run;  // returns the exit status
};

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

}  // namespace bf::cli
