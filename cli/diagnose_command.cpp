// `bareformer diagnose CONFIG [--set k=v]...`: at initialisation, one forward and backward on a batch
// (from data.dir when it exists, else random bytes), then the signal-propagation table per layer.
#include <filesystem>
#include <iostream>
#include <memory>

#include "autograd/tape.h"
#include "cli/commands.h"
#include "nn/diagnostics.h"
#include "train/batches.h"
#include "train/config.h"
#include "train/memory_estimate.h"
#include "io/token_file.h"

namespace bf::cli {

Command add_diagnose_command(CLI::App& app) {
  struct Options {
    std::string config;
    std::vector<std::string> overrides;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("diagnose", "Signal propagation at initialisation: per-layer RMS, token cosine, attention entropy, gradient norms");
  sub->add_option("config", opt->config, "JSON config file")->required();
  sub->add_option("--set", opt->overrides, "Override a field (repeatable)");
  return {sub, [opt]() {
            Config config = load_config(opt->config, opt->overrides);
            check_memory(config, MemoryUse::train, opt->config);  // one forward and backward pass of a batch
            Gpt model(config.model, config.run.seed, config.model.dtype);
            Tensor tokens, targets;
            const std::string train_path = config.data.dir + "/train.bin";
            std::string source;
            if (std::filesystem::exists(train_path)) {
              TokenFile data = TokenFile::load(train_path);
              BatchSampler sampler(data, config.data.batch_size, config.data.seq_len, config.run.seed);
              sampler.next(tokens, targets);
              source = "a batch of " + train_path;
            } else {
              Rng rng(config.run.seed);
              std::vector<int32_t> ids(int64_t(config.data.batch_size) * config.data.seq_len);
              for (auto& id : ids) id = static_cast<int32_t>(rng.below(config.model.vocab_size));
              tokens = targets = Tensor::from_vector(ids, Shape{config.data.batch_size, config.data.seq_len});
              source = "random tokens (" + train_path + " not found)";
            }
            Tensor loss = model.loss(tokens, targets);
            const ForwardProbe probe = probe_from_tape(model);  // read before backward() frees the tape
            backward(loss);
            const std::vector<LayerDiagnostics> layers = compute_diagnostics(model, probe);
            std::cout << "diagnose " << config.model.preset << " at initialisation: " << config.model.n_layer
                      << " layers, d " << config.model.d_model << ", batch " << config.data.batch_size << " x "
                      << config.data.seq_len << " from " << source << "; loss " << loss.item() << "\n\n"
                      << format_diagnostics(layers) << "\n" << collapse_verdict(layers) << "\n";
            return 0;
          }};
}

}  // namespace bf::cli
