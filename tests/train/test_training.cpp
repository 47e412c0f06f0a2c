// End-to-end training on a tiny generated corpus: the loss must fall, checkpoints round-trip, resume is
// bitwise exact, and a non-finite gradient stops the run naming the parameter.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "tiny_corpus.h"
#include "train/checkpoint.h"
#include "io/token_file.h"
#include "train/trainer.h"

using namespace bf;
using bf::test::quiet;
namespace fs = std::filesystem;

namespace {

Config tiny_run(const fs::path& dir, const std::string& preset, int steps) {
  Config c;
  c.model = preset_model(preset);
  c.model.n_layer = 2, c.model.d_model = 32, c.model.n_head = 2, c.model.max_seq_len = 32;
  c.data.dir = dir.string();
  c.data.seq_len = 32, c.data.batch_size = 8;
  c.optim.lr = 3e-3;
  c.run.steps = steps, c.run.log_every = 10, c.run.eval_every = 0, c.run.eval_batches = 2;
  c.run.out_dir = (dir / ("run_" + preset + "_" + std::to_string(steps))).string();
  c.run.threads = 2;
  return c;
}

}  // namespace

TEST_CASE("a short run's loss falls well below the uniform baseline ln 256 = 5.55") {
  fs::path dir = test::make_corpus("falls");
  for (const std::string preset : {"pre_ln", "sas_p"}) {
    INFO(preset);
    TrainSummary s = train(tiny_run(dir, preset, 80), quiet());
    CHECK(s.step_losses.front() > 4.5);
    CHECK(s.final_train_loss < 2.5);  // the corpus has ~2.3 bits of entropy per word, spread over bytes
    CHECK(s.final_val_loss < 2.5);
  }
  fs::remove_all(dir);
}

TEST_CASE("2N steps in one run equal N steps + resume + N steps, bitwise") {
  fs::path dir = test::make_corpus("resume");
  Config full = tiny_run(dir, "sas", 20);
  TrainSummary one = train(full, quiet());

  Config first = full;
  first.run.out_dir = (dir / "split").string();
  first.run.steps = 20;
  // Stop after 10 steps by running a 10-step config into the same out_dir? The schedule depends on
  // run.steps, so instead run the full config and interrupt it through the checkpoint cadence.
  first.run.checkpoint_every = 10;
  TrainOptions stop_at_10 = quiet();
  stop_at_10.after_backward = [](int64_t step, Gpt&) {
    if (step == 10) throw Error("simulated interruption");
  };
  CHECK_THROWS_AS(train(first, stop_at_10), Error);
  CHECK(read_checkpoint_info(checkpoint_path(first)).step == 10);
  TrainOptions resume = quiet();
  resume.resume = true;
  TrainSummary second = train(first, resume);
  REQUIRE(second.step_losses.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(second.step_losses[i] == one.step_losses[10 + i]);  // exact equality
  fs::remove_all(dir);
}

TEST_CASE("a non-finite gradient stops the run naming the step and parameter; the checkpoint is untouched") {
  fs::path dir = test::make_corpus("nonfinite");
  Config c = tiny_run(dir, "pre_ln", 12);
  c.run.checkpoint_every = 5;
  TrainOptions poison = quiet();
  poison.after_backward = [](int64_t step, Gpt& model) {
    if (step != 7) return;
    Tensor g = model.parameters().get("blocks.1.mlp.fc.weight").value.grad();
    g.set({0, 0}, NAN);
  };
  const std::string ckpt = checkpoint_path(c);
  try {
    train(c, poison);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("step 8") != std::string::npos);
    CHECK(std::string(e.what()).find("blocks.1.mlp.fc.weight") != std::string::npos);
  }
  CHECK(read_checkpoint_info(ckpt).step == 5);
  // With skip_nonfinite_steps the bad step is skipped and counted.
  c.run.out_dir += "_skip";
  c.run.skip_nonfinite_steps = true;
  TrainSummary s = train(c, poison);
  CHECK(s.skipped_steps == 1);
  fs::remove_all(dir);
}

TEST_CASE("a new run refuses an out_dir that holds a checkpoint; --resume without one is an error") {
  fs::path dir = test::make_corpus("refuse");
  Config c = tiny_run(dir, "pre_ln", 3);
  train(c, quiet());
  CHECK_THROWS_WITH_AS(train(c, quiet()), doctest::Contains("already holds a run"), Error);
  Config other = c;
  other.run.out_dir += "_empty";
  TrainOptions resume = quiet();
  resume.resume = true;
  CHECK_THROWS_WITH_AS(train(other, resume), doctest::Contains("no checkpoint"), Error);
  fs::remove_all(dir);
}

TEST_CASE("checkpoint round trip restores parameters and optimiser state; another preset is rejected") {
  fs::path dir = test::make_corpus("ckpt");
  Config c = tiny_run(dir, "sas_p", 4);
  train(c, quiet());
  const std::string ckpt = checkpoint_path(c);
  CheckpointInfo info = read_checkpoint_info(ckpt);
  CHECK(info.step == 4);
  CHECK(to_json(info.config) == to_json(c));
  Gpt model(info.config.model, 99);  // another seed: different initial values
  Optimizer opt(info.config.optim, model.parameters());
  load_checkpoint(ckpt, model, &opt);
  Gpt again(info.config.model, 123);
  load_checkpoint(ckpt, again, nullptr);
  for (size_t i = 0; i < model.parameters().all().size(); ++i)
    CHECK(model.parameters().all()[i].value.to_f64_vector() == again.parameters().all()[i].value.to_f64_vector());
  CHECK(opt.steps_taken() == 4);
  ModelConfig other = info.config.model;
  other = preset_model("pre_ln");
  other.n_layer = 2, other.d_model = 32, other.n_head = 2, other.max_seq_len = 32;
  Gpt wrong(other, 1);
  CHECK_THROWS_WITH_AS(load_checkpoint(ckpt, wrong, nullptr), doctest::Contains("preset \"sas_p\""), Error);
  fs::remove_all(dir);
}
