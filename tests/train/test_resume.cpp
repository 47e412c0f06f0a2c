// `bareformer train --resume`: it continues the run as saved, refuses a setting that differs unless
// --accept-changes (recorded in metrics.jsonl), does nothing to a finished run, and keeps elapsed_s
// counting. The binary runs as a child process, as a user would run it.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "child_process.h"
#include "io/token_file.h"
#include "train/trainer.h"
#include "quiet_training.h"

namespace fs = std::filesystem;
using bf::test::ScratchDir;

namespace {

std::vector<nlohmann::json> events(const std::string& run_dir) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(bf::test::read_bytes(run_dir + "/metrics.jsonl"));
  for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

// A 2-layer run of 6 steps with lr 0.002 (not the config file's default) and a checkpoint every 2 steps,
// stopped by an exception during step 5: its checkpoint is at step 4, as a killed run's would be.
void interrupted_run(const ScratchDir& dir) {
  bf::test::write_tiny_corpus(dir);
  bf::test::write_bytes(dir / "tiny.json", R"({
  "model": {"preset": "pre_ln", "n_layer": 2, "d_model": 16, "n_head": 2, "max_seq_len": 16},
  "data": {"dir": ")" + dir / "data" + R"(", "seq_len": 16, "batch_size": 2},
  "run": {"steps": 2, "log_every": 1, "eval_every": 2, "eval_batches": 1, "threads": 1, "out_dir": ")" + dir / "run" + R"("}
})");
  bf::Config config = bf::load_config(dir / "tiny.json", {"run.steps=6", "optim.lr=0.002", "run.checkpoint_every=2"});
  std::ostringstream log;
  bf::TrainOptions options = bf::test::quiet(log);
  options.after_backward = [](int64_t step, bf::Gpt&) {
    if (step == 4) throw std::runtime_error("stopped");
  };
  CHECK_THROWS(bf::train(config, options));
}

}  // namespace

TEST_CASE("resume: continues the saved run, refuses changed settings by name, accepts and records them on request") {
  ScratchDir dir("resume");
  interrupted_run(dir);
  const std::string run = dir / "run";
  const std::string metrics_before = bf::test::read_bytes(run + "/metrics.jsonl");

  // The config file says 2 steps at lr 0.001: resuming through it lists both and changes nothing.
  bf::test::ChildResult r = bf::test::run_bareformer({"train", dir / "tiny.json", "--resume"}, dir / "out.txt");
  CHECK(r.status == 1);
  CHECK(r.output.find("optim.lr (run: 0.002, now: 0.001)") != std::string::npos);
  CHECK(r.output.find("run.steps (run: 6, now: 2)") != std::string::npos);
  CHECK(bf::test::read_bytes(run + "/metrics.jsonl") == metrics_before);

  // The run folder alone: the saved 6 steps at lr 0.002.
  r = bf::test::run_bareformer({"train", "--resume", run}, dir / "out.txt");
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("resumed at step 4") != std::string::npos);
  const nlohmann::json saved = nlohmann::json::parse(bf::test::read_bytes(run + "/config.json"));
  CHECK(saved["optim"]["lr"] == 0.002);
  CHECK(saved["run"]["steps"] == 6);
  std::vector<nlohmann::json> ev = events(run);
  CHECK(ev.back()["event"] == "end");
  CHECK(ev.back()["step"] == 6);
  for (const auto& e : ev)
    if (e["event"] == "train") CHECK(e["lr"].get<double>() <= 0.002 + 1e-12);  // never the file's schedule
  // elapsed_s never runs backwards across the resume.
  double last = 0;
  for (const auto& e : ev)
    if (e.contains("elapsed_s")) {
      CHECK(e["elapsed_s"].get<double>() >= last);
      last = e["elapsed_s"].get<double>();
    }
  // The final line shows only measured values.
  CHECK(r.output.find("done: train loss ") != std::string::npos);
  CHECK(r.output.find(" 0 tok/s") == std::string::npos);

  // Finished: says so, writes nothing, prints no results it did not measure.
  const std::string finished_metrics = bf::test::read_bytes(run + "/metrics.jsonl");
  const std::string finished_config = bf::test::read_bytes(run + "/config.json");
  r = bf::test::run_bareformer({"train", "--resume", run}, dir / "out.txt");
  CHECK(r.status == 0);
  CHECK(r.output.find(run + " is finished (step 6 of 6); nothing to do") != std::string::npos);
  CHECK(r.output.find("done:") == std::string::npos);
  CHECK(r.output.find("val loss") == std::string::npos);
  CHECK(bf::test::read_bytes(run + "/metrics.jsonl") == finished_metrics);
  CHECK(bf::test::read_bytes(run + "/config.json") == finished_config);

  // A longer run: refused without the flag, then accepted and recorded.
  r = bf::test::run_bareformer({"train", "--resume", run, "--set", "run.steps=8"}, dir / "out.txt");
  CHECK(r.status == 1);
  CHECK(r.output.find("run.steps (run: 6, now: 8)") != std::string::npos);
  CHECK(r.output.find("--accept-changes") != std::string::npos);
  r = bf::test::run_bareformer({"train", "--resume", run, "--set", "run.steps=8", "--accept-changes"}, dir / "out.txt");
  REQUIRE(r.status == 0);
  ev = events(run);
  int changes = 0;
  for (const auto& e : ev)
    if (e["event"] == "config_change") {
      ++changes;
      CHECK(e["step"] == 6);
      CHECK(e["changes"] == nlohmann::json::parse(R"([{"key": "run.steps", "from": 6, "to": 8}])"));
    }
  CHECK(changes == 1);
  CHECK(ev.back()["step"] == 8);
  CHECK(nlohmann::json::parse(bf::test::read_bytes(run + "/config.json"))["run"]["steps"] == 8);
  // The model can never change on resume, flag or not.
  r = bf::test::run_bareformer({"train", "--resume", run, "--set", "model.block.b_FF=0.5", "--accept-changes"}, dir / "out.txt");
  CHECK(r.status == 1);
  CHECK(r.output.find("model.block.b_FF (run: 1.0, now: 0.5)") != std::string::npos);
}
