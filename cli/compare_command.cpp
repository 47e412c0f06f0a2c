// `bareformer compare RUN_DIR...`: one row per run from its metrics.jsonl: parameters, tokens/s, final
// train and validation loss, bits per byte.
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/error.h"

namespace bf::cli {

Command add_compare_command(CLI::App& app) {
  auto dirs = std::make_shared<std::vector<std::string>>();
  CLI::App* sub = app.add_subcommand("compare", "Side-by-side table of finished runs (from their metrics.jsonl)");
  sub->add_option("runs", *dirs, "Run folders (run.out_dir)")->required();
  return {sub, [dirs]() {
            std::printf("%-28s %-14s %12s %10s %11s %9s %8s\n", "run", "preset", "parameters", "tokens/s", "train loss",
                        "val loss", "val bpb");
            for (const std::string& dir : *dirs) {
              std::ifstream in(dir + "/metrics.jsonl");
              BF_CHECK(in.good(), dir, "/metrics.jsonl: cannot open (is ", dir, " a run folder?)");
              std::ifstream config_in(dir + "/config.json");
              std::string preset = "?";
              if (config_in.good()) {
                auto config = nlohmann::json::parse(config_in, nullptr, false);
                if (!config.is_discarded()) preset = config["model"].value("preset", "?");
              }
              long long params = 0;
              double train_loss = NAN, val_loss = NAN, val_bpb = NAN, tps_sum = 0;
              int tps_count = 0;
              std::string line;
              while (std::getline(in, line)) {
                auto e = nlohmann::json::parse(line, nullptr, false);
                if (e.is_discarded() || !e.is_object()) continue;
                const std::string kind = e.value("event", "");
                if (kind == "start") params = e.value("params", 0LL);
                if (kind == "train") {
                  train_loss = e.value("loss", NAN);
                  tps_sum += e.value("tokens_per_s", 0.0), ++tps_count;
                }
                if (kind == "eval") val_loss = e.value("val_loss", NAN), val_bpb = e.value("val_bpb", NAN);
              }
              std::printf("%-28s %-14s %12lld %10.0f %11.4f %9.4f %8.4f\n", dir.c_str(), preset.c_str(), params,
                          tps_count ? tps_sum / tps_count : 0.0, train_loss, val_loss, val_bpb);
            }
            return 0;
          }};
}

}  // namespace bf::cli
