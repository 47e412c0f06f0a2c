#include "experiments/final_eval.h"

#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>

#include <nlohmann/json.hpp>

#include "backends/kernels.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "train/batches.h"
#include "train/checkpoint.h"
#include "io/token_file.h"
#include "train/trainer.h"

namespace bf {

bool append_whole_split_eval(const std::string& run_dir) {
  const std::string ckpt = run_dir + "/checkpoint.safetensors", metrics = run_dir + "/metrics.jsonl";
  const CheckpointInfo info = read_checkpoint_info(ckpt);
  {
    std::istringstream lines(read_whole_file(metrics));
    for (std::string line; std::getline(lines, line);) {
      const auto e = nlohmann::json::parse(line, nullptr, false);
      if (e.is_object() && e.value("event", "") == "final_eval" && e.contains("step") && e["step"].is_number_integer() &&
          e["step"].get<int64_t>() == info.step)
        return false;
    }
  }
  const Config& config = info.config;
  configure_cpu_threads(config.run.threads);
  const Device device = config.run.device;
  Gpt model(config.model, config.run.seed, DType::f32, device);
  load_checkpoint(ckpt, model, nullptr);
  const TokenFile val = TokenFile::load(config.data.dir + "/val.bin");
  const int64_t windows = static_cast<int64_t>(eval_window_starts(val.size(), config.data.seq_len, 0).size());
  const double loss = evaluate(model, val, config.data.batch_size, config.data.seq_len, 0);  // 0: every window
  const nlohmann::json event = {{"event", "final_eval"}, {"step", info.step}, {"val_loss", loss},
                                {"val_bpb", loss / std::numbers::ln2}, {"windows", windows},
                                {"tokens", windows * config.data.seq_len}};
  std::ofstream out(metrics, std::ios::app);
  out << event.dump() << "\n";
  out.flush();
  BF_CHECK(out.good(), metrics, ": cannot append the final evaluation");
  return true;
}

}  // namespace bf
