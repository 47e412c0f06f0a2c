// Asking for the cuda device where it is not available (a CPU-only build, or a CUDA build on a machine
// without a GPU, as in CI) is a clear bf::Error naming the reason, from the library and from the CLI:
// never a crash, never a silent fallback to the CPU. On a machine with a GPU these checks have nothing
// to check and say so (tests/cuda covers that case).
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "backends/cuda_control.h"
#include "backends/kernels.h"
#include "core/storage.h"
#include "nn/gpt.h"
#include "io/token_file.h"
#include "train/trainer.h"
#include "quiet_training.h"

namespace {

namespace fs = std::filesystem;

bool skip_when_gpu_present() {
  if (!bf::device_available(bf::Device::cuda)) return false;
  MESSAGE("a CUDA device is available here: the unavailable-device messages cannot be checked");
  return true;
}

// The message every path must carry: "device cuda: " and the reason core recorded.
std::string expected_message() { return "device cuda: " + bf::device_unavailable_reason(bf::Device::cuda); }

struct Result {
  int status;
  std::string output;
};

// Runs `bareformer args` (stdout and stderr together) and returns its exit status and output.
Result run_bareformer(const std::string& args) {
  const std::string command = std::string(BF_BAREFORMER_BIN) + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  std::array<char, 4096> buffer;
  while (size_t got = std::fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), got);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

fs::path scratch_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("bf_device_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_corpus(const fs::path& dir) {
  std::vector<uint8_t> tokens(4000);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<uint8_t>("def f(x):\n    return x\n"[i % 24]);
  bf::write_token_file((dir / "train.bin").string(), 256, tokens);
  bf::write_token_file((dir / "val.bin").string(), 256, tokens);
}

}  // namespace

TEST_CASE("the reason names what is missing: the backend, or a device") {
  if (skip_when_gpu_present()) return;
  const std::string why = bf::device_unavailable_reason(bf::Device::cuda);
  CHECK(bf::device_unavailable_reason(bf::Device::cpu).empty());
  const bool no_backend = why.find("built without the CUDA backend") != std::string::npos;
  const bool no_device = why.rfind("no CUDA device (", 0) == 0;
  CHECK_MESSAGE(no_backend != no_device, "unexpected reason: " << why);
}

TEST_CASE("tensors, kernels, models and TF32 on cuda: a bf::Error with the reason") {
  if (skip_when_gpu_present()) return;
  const std::string want = expected_message();
  CHECK_THROWS_WITH_AS(bf::Tensor::zeros({2}, bf::DType::f32, bf::Device::cuda), want.c_str(), bf::Error);
  CHECK_THROWS_WITH_AS(bf::cuda_kernels<float>(), want.c_str(), bf::Error);
  CHECK_THROWS_WITH_AS(bf::kernels<double>(bf::Device::cuda), want.c_str(), bf::Error);
  CHECK_THROWS_WITH_AS(bf::Gpt(bf::preset_model("sas_p"), 0, bf::DType::f32, bf::Device::cuda), want.c_str(), bf::Error);
  CHECK_THROWS_WITH_AS(bf::set_cuda_tf32(true), want.c_str(), bf::Error);
  CHECK_NOTHROW(bf::cuda_synchronize());
}

TEST_CASE("bf::train with run.device = cuda stops with the reason") {
  if (skip_when_gpu_present()) return;
  const fs::path dir = scratch_dir("train");
  write_corpus(dir);
  bf::Config config;
  config.model = bf::preset_model("sas_p");
  config.model.n_layer = 1, config.model.d_model = 16, config.model.n_head = 2, config.model.max_seq_len = 16;
  config.data.dir = dir.string();
  config.data.seq_len = 16;
  config.data.batch_size = 2;
  config.run.steps = 2;
  config.run.device = bf::Device::cuda;
  config.run.out_dir = (dir / "run").string();
  std::ostringstream log;
  CHECK_THROWS_WITH_AS(bf::train(config, bf::test::quiet(log)), expected_message().c_str(), bf::Error);
  CHECK_FALSE(fs::exists(dir / "run"));  // refused before anything is written
  fs::remove_all(dir);
}

TEST_CASE("the CLI: train --set run.device=cuda, eval and sample --device cuda exit 1 with the reason") {
  if (skip_when_gpu_present()) return;
  const fs::path dir = scratch_dir("cli");
  write_corpus(dir);
  const std::string config = std::string(BF_SOURCE_DIR) + "/configs/tiny/sas_p.json";
  const std::string common = " --set data.dir=" + dir.string() + " --set data.seq_len=16 --set model.max_seq_len=16" +
                             " --set run.steps=2 --set run.log_every=1 --set run.eval_batches=1";
  const std::string error_line = "bareformer: error: " + expected_message();

  const Result cuda = run_bareformer("train " + config + common + " --set run.device=cuda --set run.out_dir=" +
                                     (dir / "cuda").string());
  CHECK(cuda.status == 1);
  CHECK_MESSAGE(cuda.output.find(error_line) != std::string::npos, cuda.output);

  // A CPU run's checkpoint: eval and sample run on the CPU by default, and refuse --device cuda clearly.
  const Result cpu = run_bareformer("train " + config + common + " --set run.out_dir=" + (dir / "cpu").string());
  REQUIRE_MESSAGE(cpu.status == 0, cpu.output);
  const std::string ckpt = (dir / "cpu" / "checkpoint.safetensors").string();
  CHECK(run_bareformer("eval " + ckpt).status == 0);
  for (const std::string& command : {"eval " + ckpt + " --device cuda",
                                     "sample " + ckpt + " --prompt def --tokens 4 --device cuda"}) {
    const Result r = run_bareformer(command);
    CHECK_MESSAGE(r.status == 1, command);
    CHECK_MESSAGE(r.output.find("bareformer: error: device cuda: ") != std::string::npos, command << ": " << r.output);
    CHECK_MESSAGE(r.output.find(bf::device_unavailable_reason(bf::Device::cuda)) != std::string::npos, r.output);
  }
  fs::remove_all(dir);
}
