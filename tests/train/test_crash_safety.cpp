// Crash safety of `bareformer train`, tested the way it happens: the real binary as a child process,
// killed with SIGKILL at random moments (during steps, during checkpoint writes, during start-up),
// then resumed with --resume until it completes. The checkpoint must be loadable after every kill, and
// the run that was killed and resumed must end bitwise identical to one that never was. Also: an
// unwritable run.out_dir and a full disk (RLIMIT_FSIZE on the child) are reported clearly and leave the
// last checkpoint intact.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "child_process.h"
#include "core/rng.h"
#include "io/atomic_file.h"
#include "train/checkpoint.h"
#include "io/safetensors.h"
#include "io/token_file.h"

namespace fs = std::filesystem;
using bf::test::run_bareformer;

namespace {

using bf::test::ScratchDir;

// A tiny corpus with some structure, and a config small enough that 30 steps take well under a second:
// 2 layers, d 16, a checkpoint every 2 steps, a train event (with that step's loss) every step.
std::string make_run_files(const ScratchDir& dir) {
  const std::vector<std::string> words = {"def ", "return ", "self", ".x", " = ", "(", ")", ":\n", "    "};
  bf::Rng rng(3);
  std::vector<uint8_t> train, val;
  for (int i = 0; i < 1500; ++i) {
    const std::string& w = words[rng.below(words.size())];
    auto& out = i < 1200 ? train : val;
    out.insert(out.end(), w.begin(), w.end());
  }
  fs::create_directories(dir.path / "data");
  bf::write_token_file(dir / "data/train.bin", 256, train);
  bf::write_token_file(dir / "data/val.bin", 256, val);
  const std::string config = dir / "tiny.json";
  std::ofstream(config) << R"({
  "model": {"preset": "pre_ln", "n_layer": 2, "d_model": 16, "n_head": 2, "max_seq_len": 16},
  "data": {"dir": ")" << dir / "data" << R"(", "seq_len": 16, "batch_size": 4},
  "optim": {"lr": 0.003},
  "run": {"steps": 30, "log_every": 1, "eval_every": 0, "eval_batches": 1, "checkpoint_every": 2, "threads": 1}
})";
  return config;
}

std::vector<std::string> train_args(const std::string& config, const std::string& out_dir, bool resume,
                                    const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"train", config, "--set", "run.out_dir=" + out_dir};
  args.insert(args.end(), extra.begin(), extra.end());
  if (resume) args.push_back("--resume");
  return args;
}

// Every "train" event's loss, by step, in file order (a step logged twice has two entries).
std::map<int64_t, std::vector<double>> train_losses(const std::string& metrics_path) {
  std::map<int64_t, std::vector<double>> losses;
  std::ifstream in(metrics_path);
  std::string line;
  while (std::getline(in, line)) {
    const auto event = nlohmann::json::parse(line, nullptr, false);
    if (event.is_discarded() || !event.is_object() || event.value("event", "") != "train") continue;
    losses[event.at("step").get<int64_t>()].push_back(event.at("loss").get<double>());
  }
  return losses;
}

bool same_bits(const bf::Tensor& a, const bf::Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         (a.nbytes() == 0 || std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0);
}

// Temp files write_file_atomically left behind in `dir` (a process killed between creating its temp
// file and renaming it cannot remove it).
std::vector<std::string> leftover_temp_files(const std::string& dir) {
  std::vector<std::string> names;
  if (!fs::exists(dir)) return names;  // killed before it created run.out_dir
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) names.push_back(e.path().filename().string());
  return names;
}

}  // namespace

TEST_CASE("crash safety: SIGKILL at random moments, then --resume, ends bitwise equal to an uninterrupted run") {
  ScratchDir dir("kill");
  const std::string config = make_run_files(dir);

  // The uninterrupted reference, timed to choose the kill delays.
  const std::string reference = dir / "reference";
  const auto t0 = std::chrono::steady_clock::now();
  const bf::test::ChildResult ref = run_bareformer(train_args(config, reference, false), dir / "reference.log");
  const double reference_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(ref.output);
  REQUIRE(ref.status == 0);
  const std::map<int64_t, std::vector<double>> reference_losses = train_losses(reference + "/metrics.jsonl");
  REQUIRE(reference_losses.size() == 30);

  const bf::SafetensorsContents reference_ckpt = bf::load_safetensors(reference + "/checkpoint.safetensors");

  // Interrupted runs: kill after a random delay, check the checkpoint, resume; until the run completes.
  // A launch may finish before its kill arrives (timing on a shared machine varies), so episodes (each a
  // fresh run.out_dir, each checked against the reference) repeat until enough kills have landed.
  const uint64_t seed = std::random_device{}();
  INFO("kill schedule seed ", seed, ", uninterrupted run ", reference_seconds, " s");
  std::mt19937_64 random(seed);
  constexpr int kWantedKills = 8;
  int kills = 0, kills_before_first_checkpoint = 0, kills_inside_a_write = 0, episodes = 0;
  while (kills < kWantedKills) {
    REQUIRE(episodes < 16);
    const std::string killed = dir / ("killed_" + std::to_string(episodes++));
    const std::string ckpt = killed + "/checkpoint.safetensors";
    int episode_kills_before_first_checkpoint = 0;
    int64_t last_step = 0;
    std::vector<std::string> temp_files_seen;
    for (int launch = 0;; ++launch) {
      REQUIRE(launch <= 2 * kWantedKills);
      bf::test::ChildOptions options;
      options.output_path = killed + "_" + std::to_string(launch) + ".log";
      const pid_t pid = bf::test::start_bareformer(train_args(config, killed, fs::exists(ckpt)), options);
      const bool send_kill = kills < 2 * kWantedKills;
      if (send_kill) {
        // Uniform over about the time the rest of the run takes, start-up included (a crash can come then too).
        const double remaining = reference_seconds * (0.3 + 0.7 * double(30 - last_step) / 30.0);
        std::this_thread::sleep_for(std::chrono::duration<double>(std::uniform_real_distribution<>(0, remaining)(random)));
        ::kill(pid, SIGKILL);
      }
      const int status = bf::test::wait_for(pid);
      if (status == 0) break;  // completed before the kill arrived
      INFO(bf::test::read_bytes(options.output_path));
      REQUIRE(status == 128 + SIGKILL);
      ++kills;
      // Whatever the moment, the checkpoint on disk is a whole one: it loads, and it is one of the
      // checkpoints the run writes (an even step), never older than the one before.
      if (fs::exists(ckpt)) {
        bf::CheckpointInfo info;
        REQUIRE_NOTHROW(info = bf::read_checkpoint_info(ckpt));
        CHECK(info.step % 2 == 0);
        CHECK(info.step >= last_step);
        last_step = info.step;
      } else {
        ++episode_kills_before_first_checkpoint;
      }
      const std::vector<std::string> temps = leftover_temp_files(killed);
      const auto new_temps = std::count_if(temps.begin(), temps.end(), [&](const std::string& name) {
        return std::find(temp_files_seen.begin(), temp_files_seen.end(), name) == temp_files_seen.end();
      });
      if (new_temps > 0) ++kills_inside_a_write;  // it landed between a temp file's creation and its rename
      temp_files_seen = temps;
    }
    kills_before_first_checkpoint += episode_kills_before_first_checkpoint;

    // The end state equals the uninterrupted run's, bit for bit: parameters, optimiser state, step, sampler.
    const bf::SafetensorsContents& a = reference_ckpt;
    const bf::SafetensorsContents b = bf::load_safetensors(ckpt);
    CHECK(b.metadata.at("step") == "30");
    CHECK(b.metadata.at("sampler_state") == a.metadata.at("sampler_state"));
    REQUIRE(a.tensors.size() == b.tensors.size());
    for (size_t i = 0; i < a.tensors.size(); ++i) {
      INFO(a.tensors[i].name);
      CHECK(a.tensors[i].name == b.tensors[i].name);
      CHECK(same_bits(a.tensors[i].tensor, b.tensors[i].tensor));
    }
    // And so does every step's loss in metrics.jsonl (the last entry of each step: the one the finished
    // run's history is built from).
    const std::map<int64_t, std::vector<double>> losses = train_losses(killed + "/metrics.jsonl");
    REQUIRE(losses.size() == 30);
    for (const auto& [step, values] : reference_losses) {
      INFO("step ", step);
      REQUIRE(losses.count(step) == 1);
      CHECK(losses.at(step).back() == values.front());  // exact
      // A resume drops the lines a killed process wrote after its checkpoint, so each step is logged
      // once. (Not after a kill before the first checkpoint: the restart is then a fresh run, which
      // appends to the killed one's metrics.jsonl; see docs/errors.md.)
      if (episode_kills_before_first_checkpoint == 0) CHECK(losses.at(step).size() == 1);
    }
  }
  MESSAGE(kills, " kills in ", episodes, " runs (", kills_before_first_checkpoint, " before the first checkpoint, ",
          kills_inside_a_write, " inside a file write), seed ", seed, ", uninterrupted run ", reference_seconds, " s");
}

TEST_CASE("crash safety: an unwritable run.out_dir is reported and leaves an earlier checkpoint intact") {
  ScratchDir dir("unwritable");
  const std::string config = make_run_files(dir);
  SUBCASE("out_dir below a regular file (not creatable, even as root)") {
    std::ofstream(dir / "a_file") << "x";
    const std::string out = dir / "a_file/run";
    const auto r = run_bareformer(train_args(config, out, false), dir / "log");
    CHECK(r.status == 1);
    CHECK(r.output == "bareformer: error: " + out + ": cannot create run.out_dir (Not a directory)\n");
  }
  SUBCASE("a file the run must write is in the way: the checkpoint survives") {
    const std::string out = dir / "run";
    REQUIRE(run_bareformer(train_args(config, out, false, {"--set", "run.steps=4"}), dir / "log").status == 0);
    const std::string before = bf::read_whole_file(out + "/checkpoint.safetensors");
    fs::remove(out + "/config.json");
    fs::create_directories(out + "/config.json/in_the_way");  // rename() cannot replace a non-empty directory
    const auto r = run_bareformer(train_args(config, out, true, {"--set", "run.steps=8", "--accept-changes"}), dir / "log");
    CHECK(r.status == 1);
    CHECK(r.output.find("resume: run.steps changes from 4 to 8\nbareformer: error: cannot write '" + out + "/config.json': rename of '") == 0);
    CHECK(r.output.find("failed: Is a directory (errno 21)") != std::string::npos);
    CHECK(bf::read_whole_file(out + "/checkpoint.safetensors") == before);
    CHECK(leftover_temp_files(out).empty());
  }
}

TEST_CASE("crash safety: a full disk while checkpointing is reported; the last checkpoint survives") {
  // RLIMIT_FSIZE on the child stands in for a full disk: write() stops short of the limit, then fails
  // with EFBIG, the same path through write_file_atomically as ENOSPC (a real full disk needs a mount).
  ScratchDir dir("full");
  const std::string config = make_run_files(dir);
  const std::string out = dir / "run";
  const std::string ckpt = out + "/checkpoint.safetensors";
  REQUIRE(run_bareformer(train_args(config, out, false, {"--set", "run.steps=10"}), dir / "log").status == 0);
  const std::string before = bf::read_whole_file(ckpt);
  REQUIRE(bf::read_checkpoint_info(ckpt).step == 10);
  // Room for config.json and metrics.jsonl (a few KB), not for a checkpoint: the one at step 12 fails.
  const long limit = static_cast<long>(before.size() / 2);
  REQUIRE(limit > 16384);
  const auto r = run_bareformer(train_args(config, out, true, {"--set", "run.steps=30", "--accept-changes"}), dir / "log", limit);
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.find("bareformer: error: cannot write '" + ckpt + "': writing ") != std::string::npos);
  CHECK(r.output.find(" bytes failed: File too large (errno 27)") != std::string::npos);
  CHECK(bf::read_whole_file(ckpt) == before);  // the step-10 checkpoint, untouched
  CHECK(bf::read_checkpoint_info(ckpt).step == 10);
  CHECK(leftover_temp_files(out).empty());  // the failed write removed its temp file
  // The run can go on from it once there is room again.
  const auto again = run_bareformer(train_args(config, out, true, {"--set", "run.steps=12", "--accept-changes"}), dir / "log");
  CHECK(again.status == 0);
  CHECK(bf::read_checkpoint_info(ckpt).step == 12);
}
