// `bareformer describe CONFIG [--set k=v]...`: the block's equations as configured, every parameter,
// totals per group, FLOPs per token.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "nn/describe.h"
#include "train/config.h"
#include "train/memory_estimate.h"

namespace bf::cli {

Command add_describe_command(CLI::App& app) {
  struct Options {
    std::string config;
    std::vector<std::string> overrides;
    bool brief = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("describe", "Print a config's block equations, parameters and FLOPs");
  sub->add_option("config", opt->config, "JSON config file")->required();
  sub->add_option("--set", opt->overrides, "Override a field: --set model.block.b_FF=0.2 (repeatable)");
  sub->add_flag("--brief", opt->brief, "Totals only, no per-parameter list");
  return {sub, [opt]() {
            Config config = load_config(opt->config, opt->overrides);
            check_memory(config, MemoryUse::describe, opt->config);  // describe builds the model
            Gpt model(config.model, config.run.seed, config.model.dtype);
            std::cout << describe_model(model, config.data.seq_len, !opt->brief);
            return 0;
          }};
}

}  // namespace bf::cli

namespace bf::cli {

Command add_config_doc_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("config-doc", "Print the table of every config field (docs/config.md)");
  return {sub, []() {
            std::cout << config_reference_markdown();
            return 0;
          }};
}

}  // namespace bf::cli
