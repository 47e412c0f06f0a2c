// model.dtype = "f64": a whole run (train, evaluate, sample, checkpoint) in double, and checkpoints that
// load only into a model of the dtype they were trained in.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "scratch.h"
#include "tiny_corpus.h"
#include "train/checkpoint.h"
#include "io/safetensors.h"
#include "train/sample.h"
#include "io/token_file.h"
#include "train/trainer.h"

using namespace bf;
using bf::test::quiet;
namespace fs = std::filesystem;

namespace {

// A 2-layer sas run of 12 steps on the tiny corpus, as a JSON config file.
std::string write_config(const fs::path& data, const std::string& out_dir, const std::string& dtype) {
  const std::string path = (data / ("config_" + dtype + ".json")).string();
  test::write_bytes(path, R"({
  "model": {"preset": "sas", "dtype": ")" + dtype + R"(", "n_layer": 2, "d_model": 32, "n_head": 2, "max_seq_len": 32},
  "data": {"dir": ")" + data.string() + R"(", "seq_len": 32, "batch_size": 8},
  "optim": {"lr": 0.003},
  "run": {"steps": 12, "log_every": 4, "eval_every": 0, "eval_batches": 2, "threads": 2, "out_dir": ")" + out_dir + R"("}
})");
  return path;
}

}  // namespace

TEST_CASE("an f64 run trains from a JSON config, stores F64 tensors, and its checkpoint evaluates to the same loss") {
  const fs::path data = test::make_corpus("dtype_f64");
  const Config config = load_config(write_config(data, (data / "run64").string(), "f64"));
  REQUIRE(config.model.dtype == DType::f64);
  const TrainSummary run = train(config, quiet());
  REQUIRE(run.step_losses.size() == 12);
  CHECK(run.step_losses.back() < run.step_losses.front() - 0.5);  // it learns

  // The same run in f32 starts from the same initial values (drawn in double, then rounded): the first
  // losses agree to f32 rounding, and they are not bitwise equal (the f64 run is not f32 in disguise).
  const TrainSummary run32 = train(load_config(write_config(data, (data / "run32").string(), "f32")), quiet());
  CHECK(run32.step_losses[0] != run.step_losses[0]);
  CHECK(std::abs(run32.step_losses[0] - run.step_losses[0]) < 1e-5 * run.step_losses[0]);

  const std::string ckpt = checkpoint_path(config);
  const SafetensorsContents stored = load_safetensors(ckpt);
  CHECK(stored.metadata.at("dtype") == "f64");
  for (const NamedTensor& t : stored.tensors) {  // parameters and the AdamW moments
    INFO(t.name);
    CHECK(t.tensor.dtype() == DType::f64);
  }

  // Load it back the way `bareformer eval` does: the model is built from the checkpoint's own config.
  const CheckpointInfo info = read_checkpoint_info(ckpt);
  CHECK(info.config.model.dtype == DType::f64);
  Gpt model(info.config.model, /*seed=*/999, info.config.model.dtype);
  load_checkpoint(ckpt, model, nullptr);
  const TokenFile val = TokenFile::load((data / "val.bin").string());
  const double loss = evaluate(model, val, info.config.data.batch_size, info.config.data.seq_len, info.config.run.eval_batches);
  CHECK(loss == run.final_val_loss);  // the same model, the same windows, the same arithmetic: bitwise

  // Sampling in double.
  SampleOptions sample;
  sample.tokens = 8;
  CHECK(sample_text(model, "def ", sample).size() == 8);

  // Resuming continues in f64: interrupted after step 6 (the schedule depends on run.steps, so the run is
  // stopped, not shortened) and resumed, it ends bitwise where the uninterrupted run did.
  Config split = config;
  split.run.out_dir = (data / "split").string();
  split.run.checkpoint_every = 6;
  TrainOptions stop_at_6 = quiet();
  stop_at_6.after_backward = [](int64_t step, Gpt&) {
    if (step == 6) throw Error("simulated interruption");
  };
  CHECK_THROWS_AS(train(split, stop_at_6), Error);
  TrainOptions resume = quiet();
  resume.resume = true;
  const TrainSummary resumed = train(split, resume);
  REQUIRE(resumed.step_losses.size() == 6);
  for (int i = 0; i < 6; ++i) CHECK(resumed.step_losses[i] == run.step_losses[6 + i]);
  CHECK(resumed.final_val_loss == run.final_val_loss);
  fs::remove_all(data);
}

TEST_CASE("a checkpoint loads only into a model of the dtype it was trained in; the message names both") {
  const fs::path data = test::make_corpus("dtype_mismatch");
  const Config config = load_config(write_config(data, (data / "run32").string(), "f32"));
  train(config, quiet());
  const std::string ckpt = checkpoint_path(config);

  Gpt in_double(config.model, 1, DType::f64);
  CHECK_THROWS_WITH_AS(load_checkpoint(ckpt, in_double, nullptr),
                       (ckpt + ": the checkpoint was trained in f32 (model.dtype \"f32\"), the model it is loaded into is "
                               "f64; load it with model.dtype \"f32\"").c_str(),
                       Error);

  // A file whose tensors are not in the dtype its metadata records (edited by hand, or by another tool).
  SafetensorsContents c = load_safetensors(ckpt);
  for (NamedTensor& t : c.tensors)
    if (t.name == "tok_emb.weight") t.tensor = t.tensor.to(DType::f64);
  const std::string edited = (data / "edited.safetensors").string();
  save_safetensors(edited, c.tensors, c.metadata);
  Gpt in_single(config.model, 1, DType::f32);
  CHECK_THROWS_WITH_AS(load_checkpoint(edited, in_single, nullptr),
                       (edited + ": parameter \"tok_emb.weight\" is stored as f64, but the checkpoint's model.dtype is f32").c_str(),
                       Error);
  c.metadata["dtype"] = "f64";
  save_safetensors(edited, c.tensors, c.metadata);
  CHECK_THROWS_WITH_AS(load_checkpoint(edited, in_single, nullptr),
                       (edited + ": metadata dtype \"f64\" disagrees with its config's model.dtype \"f32\"").c_str(), Error);
  fs::remove_all(data);
}
