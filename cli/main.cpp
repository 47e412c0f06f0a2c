// bareformer: the command-line entry point. CLI11 (Debian's libcli11-dev) parses subcommands and flags
// and prints usage and parse errors; each subcommand lives in its own cli/<name>_command.cpp.
#include <algorithm>
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "backends/kernels.h"
#include "cli/commands.h"
#include "core/closest_match.h"
#include "core/error.h"
#include "train/provenance.h"

int main(int argc, char** argv) {
  // Past a file size limit (ulimit -f) the kernel sends SIGXFSZ, whose default action kills the process
  // without a word; ignored, the write fails with EFBIG instead, and the error names the file.
  std::signal(SIGXFSZ, SIG_IGN);
  bf::prefer_passive_openmp_wait(argv);
  CLI::App app{"bareformer: a from-scratch autodiff engine for the transformer blocks of "
               "\"Simplifying Transformer Blocks\" (He & Hofmann, ICLR 2024)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", bf::version_line(), "Print the version and the git commit of this build");
  // Every option's --help line shows its default value.
  app.option_defaults()->always_capture_default();
  bf::record_command_line(argc, argv);
  const std::vector<bf::cli::Command> commands = {
      bf::cli::add_prepare_command(app),  bf::cli::add_train_command(app),    bf::cli::add_eval_command(app),
      bf::cli::add_sample_command(app),   bf::cli::add_describe_command(app), bf::cli::add_gradcheck_command(app),
      bf::cli::add_compare_command(app),  bf::cli::add_config_doc_command(app),
      bf::cli::add_trace_command(app),    bf::cli::add_walkthrough_command(app),
      bf::cli::add_diagnose_command(app), bf::cli::add_plot_command(app),     bf::cli::add_sweep_command(app),
      bf::cli::add_export_command(app),
  };
  // CLI11 reads an unknown first word as a stray argument ("A subcommand is required"); name it instead.
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const auto& command : commands) names.push_back(command.subcommand->get_name());
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      std::string list;
      for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
      const std::string word = argv[1], best = bf::closest_match(word, names);
      const bool close = bf::edit_distance(word, best) <= std::max<size_t>(2, word.size() / 3);
      std::cerr << "bareformer: error: unknown command \"" << word << "\""
                << (close ? " (did you mean \"" + best + "\"?)" : std::string()) << "; the commands are: " << list << "\n";
      return 2;
    }
  }
  CLI11_PARSE(app, argc, argv);
  try {
    bf::configure_cpu_threads(0);
    for (const auto& command : commands)
      if (command.subcommand->parsed()) return command.run();
    return 2;
  } catch (const bf::Error& e) {
    std::cerr << "bareformer: error: " << e.what() << "\n";
    return 1;
  }
}
