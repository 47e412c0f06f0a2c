// `bareformer trace CONFIG [--set k=v]... [--format table|dot] [--batch B --seq-len T]`: one forward and
// backward on a tiny batch, printing the tape as recorded.
#include <iostream>
#include <memory>

#include "autograd/tape_print.h"
#include "cli/commands.h"
#include "nn/gpt.h"
#include "train/config.h"
#include "train/memory_estimate.h"

namespace bf::cli {

Command add_trace_command(CLI::App& app) {
  struct Options {
    std::string config, format = "table";
    std::vector<std::string> overrides;
    int batch = 1, seq_len = 8;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("trace", "Print the tape of one forward/backward pass (ops, shapes, FLOPs, memory)");
  sub->add_option("config", opt->config, "JSON config file")->required();
  sub->add_option("--set", opt->overrides, "Override a field (repeatable)");
  sub->add_option("--format", opt->format, "table, or dot (Graphviz: render with `dot -Tsvg`)")->check(CLI::IsMember({"table", "dot"}));
  sub->add_option("--batch", opt->batch, "Sequences in the traced batch")->check(CLI::Range(1, 64));
  sub->add_option("--seq-len", opt->seq_len, "Tokens per sequence (at most model.max_seq_len)")->check(CLI::Range(1, 4096));
  return {sub, [opt]() {
            Config config = load_config(opt->config, opt->overrides);
            BF_CHECK(opt->seq_len <= config.model.max_seq_len, "trace: --seq-len ", opt->seq_len,
                     " exceeds model.max_seq_len = ", config.model.max_seq_len);
            Config traced = config;  // one forward and backward pass of the traced batch
            traced.data.batch_size = opt->batch, traced.data.seq_len = opt->seq_len;
            check_memory(traced, MemoryUse::train, opt->config);
            Gpt model(config.model, config.run.seed, config.model.dtype);
            TensorNames names;
            for (const Parameter& p : model.parameters().all()) names[&p.value.impl()] = p.name;
            std::vector<int32_t> ids(opt->batch * opt->seq_len);
            for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>((i * 7 + 3) % config.model.vocab_size);
            Tensor tokens = Tensor::from_vector(ids, Shape{opt->batch, opt->seq_len});
            clear_tape();
            Tensor loss = model.loss(tokens, tokens);
            const std::string title = config.model.preset + ": " + std::to_string(config.model.n_layer) + " layers, d " +
                                      std::to_string(config.model.d_model) + ", batch " + std::to_string(opt->batch) +
                                      " x " + std::to_string(opt->seq_len);
            if (opt->format == "dot") {
              std::cout << format_tape_dot(tape_entries(), names, title);
            } else {
              std::cout << "tape of " << title << " (" << tape_entries().size() << " ops recorded)\n\n"
                        << format_tape_table(tape_entries(), names);
            }
            backward(loss);
            return 0;
          }};
}

}  // namespace bf::cli

#include "experiments/walkthrough.h"

namespace bf::cli {

Command add_walkthrough_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("walkthrough", "One training step of a tiny sas_p model, stage by stage (docs/walkthrough.md)");
  return {sub, []() {
            std::cout << walkthrough_text();
            return 0;
          }};
}

}  // namespace bf::cli
