// Training on the GPU through bf::train (run.device = "cuda"), the same code path as
// `bareformer train --set run.device=cuda`:
//   - 20 steps of a small SAS-P model on the GPU against the same 20 steps on the CPU: every step's loss
//     within 1e-3 relative (f32; the two runs drift apart only by rounding, which AdamW's normalised
//     steps carry forward), the first step's within 1e-5;
//   - two GPU runs give bitwise the same losses (every reduction on the GPU is deterministic);
//   - the GPU run's checkpoint evaluates to the same validation loss on the CPU (1e-4 relative);
//   - with model.dtype = "f64" the 20 GPU steps match the CPU's to 1e-9 relative, and the GPU's f64
//     checkpoint (F64 tensors) evaluates on the CPU to the GPU's validation loss to 1e-12.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "train/checkpoint.h"
#include "train/token_file.h"
#include "train/trainer.h"

namespace {

namespace fs = std::filesystem;

// A corpus with learnable structure (lines of a few keywords), as train.bin and val.bin.
fs::path make_corpus() {
  const fs::path dir = fs::temp_directory_path() / ("bf_cuda_train_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::vector<std::string> words = {"def ", "return ", "self", ".x", " = ", "(", ")", ":\n", "    ", "if "};
  bf::Rng rng(1);
  std::vector<uint8_t> train, val;
  for (int i = 0; i < 6000; ++i) {
    const std::string& w = words[rng.below(words.size())];
    auto& out = i < 5000 ? train : val;
    out.insert(out.end(), w.begin(), w.end());
  }
  bf::write_token_file((dir / "train.bin").string(), 256, train);
  bf::write_token_file((dir / "val.bin").string(), 256, val);
  return dir;
}

bf::Config small_run(const fs::path& data, const std::string& device, const std::string& name,
                     bf::DType dtype = bf::DType::f32) {
  bf::Config c;
  c.model = bf::preset_model("sas_p");
  c.model.dtype = dtype;
  c.model.n_layer = 2, c.model.d_model = 64, c.model.n_head = 4, c.model.max_seq_len = 32;
  c.data.dir = data.string();
  c.data.seq_len = 32;
  c.data.batch_size = 8;
  c.run.steps = 20;
  c.run.log_every = 10;
  c.run.eval_every = 0;
  c.run.eval_batches = 2;
  c.run.seed = 3;
  c.run.device = device;
  c.run.out_dir = (data / name).string();
  return c;
}

bf::TrainSummary run(const bf::Config& config) {
  std::ostringstream log;
  bf::TrainOptions options;
  options.progress = false;
  options.log = &log;
  return bf::train(config, options);
}

}  // namespace

TEST_CASE("20 training steps on the GPU match the CPU's losses and are reproducible") {
  const fs::path data = make_corpus();
  const bf::TrainSummary cpu = run(small_run(data, "cpu", "cpu"));
  const bf::TrainSummary gpu = run(small_run(data, "cuda", "cuda"));
  const bf::TrainSummary gpu_again = run(small_run(data, "cuda", "cuda_again"));
  REQUIRE(cpu.step_losses.size() == 20);
  REQUIRE(gpu.step_losses.size() == 20);
  CHECK(std::abs(gpu.step_losses[0] - cpu.step_losses[0]) <= 1e-5 * std::abs(cpu.step_losses[0]));
  for (size_t i = 0; i < 20; ++i) {
    INFO("step " << i + 1 << ": cuda " << gpu.step_losses[i] << " cpu " << cpu.step_losses[i]);
    CHECK(std::abs(gpu.step_losses[i] - cpu.step_losses[i]) <= 1e-3 * std::abs(cpu.step_losses[i]));
  }
  CHECK(gpu.step_losses == gpu_again.step_losses);  // bitwise
  CHECK(gpu.step_losses.back() < gpu.step_losses.front());  // it learns

  // The GPU run's checkpoint, loaded on the CPU, gives the validation loss the GPU run reported.
  const bf::Config config = small_run(data, "cuda", "cuda");
  bf::Gpt on_cpu(config.model, config.run.seed);
  bf::load_checkpoint(bf::checkpoint_path(config), on_cpu, nullptr);
  const bf::TokenFile val = bf::TokenFile::load(config.data.dir + "/val.bin");
  const double val_cpu = bf::evaluate(on_cpu, val, config.data.batch_size, config.data.seq_len, config.run.eval_batches);
  CHECK(std::abs(val_cpu - gpu.final_val_loss) <= 1e-4 * std::abs(val_cpu));
  fs::remove_all(data);
}

TEST_CASE("20 training steps in f64 on the GPU match the CPU's to 1e-9; the f64 checkpoint loads on the CPU") {
  const fs::path data = make_corpus();
  const bf::TrainSummary cpu = run(small_run(data, "cpu", "cpu64", bf::DType::f64));
  const bf::TrainSummary gpu = run(small_run(data, "cuda", "cuda64", bf::DType::f64));
  REQUIRE(gpu.step_losses.size() == 20);
  for (size_t i = 0; i < 20; ++i) {
    INFO("step " << i + 1 << ": cuda " << gpu.step_losses[i] << " cpu " << cpu.step_losses[i]);
    CHECK(std::abs(gpu.step_losses[i] - cpu.step_losses[i]) <= 1e-9 * std::abs(cpu.step_losses[i]));
  }
  const bf::Config config = small_run(data, "cuda", "cuda64", bf::DType::f64);
  bf::Gpt on_cpu(config.model, config.run.seed, bf::DType::f64);
  bf::load_checkpoint(bf::checkpoint_path(config), on_cpu, nullptr);
  const bf::TokenFile val = bf::TokenFile::load(config.data.dir + "/val.bin");
  const double val_cpu = bf::evaluate(on_cpu, val, config.data.batch_size, config.data.seq_len, config.run.eval_batches);
  CHECK(std::abs(val_cpu - gpu.final_val_loss) <= 1e-12 * std::abs(val_cpu));
  fs::remove_all(data);
}
