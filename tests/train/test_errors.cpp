// What a user sees for each class of bad input: the `bareformer` binary run as a child process, its exit
// status and its exact message. Every row of docs/errors.md that is run through the CLI is a Row here,
// and the test also checks that docs/errors.md shows that exact message (so the page cannot drift).
// Paths under this test's scratch folder appear as DIR, in the page as in the checks.
//
// Also here: the metrics.jsonl record of skipped non-finite steps (run.skip_nonfinite_steps).
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "child_process.h"
#include "error_rows.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "io/token_file.h"
#include "train/trainer.h"
#include "quiet_training.h"

namespace fs = std::filesystem;

namespace {

using bf::test::check_rows;
using bf::test::make_tiny_run_files;
using bf::test::Row;
using bf::test::safetensors_file;
using bf::test::ScratchDir;
using bf::test::write_bytes;

// A 2-layer pre_ln run of `steps` steps on the scratch corpus, trained in this process.
bf::Config tiny_in_process_config(const ScratchDir& dir, const std::string& out, int steps) {
  bf::Config c;
  c.model = bf::preset_model("pre_ln");
  c.model.n_layer = 2, c.model.d_model = 16, c.model.n_head = 2, c.model.max_seq_len = 16;
  c.data.dir = dir / "data";
  c.data.seq_len = 16, c.data.batch_size = 2;
  c.run.steps = steps, c.run.log_every = 1, c.run.eval_every = 0, c.run.eval_batches = 1, c.run.threads = 1;
  c.run.out_dir = dir / out;
  return c;
}

std::vector<nlohmann::json> metrics_events(const std::string& run_dir, const std::string& kind) {
  std::vector<nlohmann::json> events;
  std::istringstream lines(bf::read_whole_file(run_dir + "/metrics.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json event = nlohmann::json::parse(line);
    if (event["event"] == kind) events.push_back(event);
  }
  return events;
}

}  // namespace

TEST_CASE("errors: config files and --set (bareformer describe CONFIG)") {
  ScratchDir dir("config");
  const std::vector<std::pair<std::string, std::string>> files = {
      {"unknown_key.json", R"({"model": {"n_layers": 4}})"},
      {"unknown_section.json", R"({"modle": {}})"},
      {"wrong_type.json", R"({"model": {"block": {"b_FF": "0.1"}}})"},
      {"not_integer.json", R"({"model": {"n_layer": 2.5}})"},
      {"out_of_range.json", R"({"model": {"n_layer": 0}})"},
      {"section_not_object.json", R"({"model": 3})"},
      {"not_object.json", R"([1, 2])"},
      {"nan.json", R"({"optim": {"lr": NaN}})"},
      {"infinity.json", R"({"optim": {"lr": -Infinity}})"},
      {"huge_float.json", R"({"optim": {"lr": 1e999}})"},
      {"huge_integer.json", R"({"run": {"seed": 99999999999999999999}})"},
      {"int64_edge.json", R"({"run": {"seed": 9223372036854775808}})"},
      {"deep.json", R"({"model": {"n_layer": )" + std::string(100, '[') + std::string(100, ']') + "}}"},
      {"duplicate.json", R"({"model": {"n_layer": 2, "block": {"b_FF": 0.1, "b_FF": 0.2}}})"},
      {"truncated.json", R"({"model": {"preset": "sa)"},
      {"empty.json", ""},
      {"cross_field.json", R"({"model": {"d_model": 30, "n_head": 4}})"},
      {"norm_eps_zero.json", R"({"model": {"norm_eps": 0}})"},
      {"ok.json", R"({"model": {"n_layer": 2}})"},
  };
  for (const auto& [name, text] : files) write_bytes(dir / name, text);
  fs::create_directories(dir / "a_directory.json");
  check_rows(dir, {
      {{"describe", "DIR/unknown_key.json"}, R"(bareformer: error: DIR/unknown_key.json: unknown key "model.n_layers" (did you mean "model.n_layer"?))"},
      {{"describe", "DIR/unknown_section.json"}, R"(bareformer: error: DIR/unknown_section.json: unknown key "modle" (did you mean "model"?))"},
      {{"describe", "DIR/wrong_type.json"}, R"(bareformer: error: DIR/wrong_type.json: model.block.b_FF: expected a number, got "0.1")"},
      {{"describe", "DIR/not_integer.json"}, R"(bareformer: error: DIR/not_integer.json: model.n_layer: expected an integer, got 2.5)"},
      {{"describe", "DIR/out_of_range.json"}, R"(bareformer: error: DIR/out_of_range.json: model.n_layer: expected an integer in [1, 1024], got 0)"},
      {{"describe", "DIR/section_not_object.json"}, R"(bareformer: error: DIR/section_not_object.json: model: expected an object (a section), got a number)"},
      {{"describe", "DIR/not_object.json"}, R"(bareformer: error: DIR/not_object.json: the config must be a JSON object with sections model, data, optim, schedule, run)"},
      {{"describe", "DIR/nan.json"}, R"(bareformer: error: DIR/nan.json: not valid JSON ([json.exception.parse_error.101] parse error at line 1, column 18: syntax error while parsing value - invalid literal; last read: '"lr": N'; JSON has no NaN or Infinity: a config number must be finite))"},
      {{"describe", "DIR/infinity.json"}, R"(bareformer: error: DIR/infinity.json: not valid JSON ([json.exception.parse_error.101] parse error at line 1, column 19: syntax error while parsing value - invalid number; expected digit after '-'; last read: '-I'; JSON has no NaN or Infinity: a config number must be finite))"},
      {{"describe", "DIR/huge_float.json"}, R"(bareformer: error: DIR/huge_float.json: [json.exception.out_of_range.406] number overflow parsing '1e999'; config numbers must be finite)"},
      {{"describe", "DIR/huge_integer.json"}, R"(bareformer: error: DIR/huge_integer.json: run.seed: expected an integer, got 1e+20)"},
      {{"describe", "DIR/int64_edge.json"}, R"(bareformer: error: DIR/int64_edge.json: run.seed: expected an integer in [0, 9223372036854775807], got 9223372036854775808)"},
      {{"describe", "DIR/deep.json"}, R"(bareformer: error: DIR/deep.json: JSON nested more than 64 levels deep (a config has 3: model.block.b_FF))"},
      {{"describe", "DIR/duplicate.json"}, R"(bareformer: error: DIR/duplicate.json: duplicate key "model.block.b_FF" (JSON would keep only the last one; remove the other))"},
      {{"describe", "DIR/truncated.json"}, R"(bareformer: error: DIR/truncated.json: not valid JSON ([json.exception.parse_error.101] parse error at line 1, column 25: syntax error while parsing value - invalid string: missing closing quote; last read: '"sa'))"},
      {{"describe", "DIR/empty.json"}, R"(bareformer: error: DIR/empty.json: not valid JSON ([json.exception.parse_error.101] parse error at line 1, column 1: syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal))"},
      {{"describe", "DIR/missing.json"}, R"(bareformer: error: DIR/missing.json: cannot open the config file (No such file or directory))"},
      {{"describe", "DIR/a_directory.json"}, R"(bareformer: error: DIR/a_directory.json: is a directory, not a config file)"},
      {{"describe", "DIR/cross_field.json"}, R"(bareformer: error: DIR/cross_field.json: model.d_model: 30 is not divisible by model.n_head = 4)"},
      {{"describe", "DIR/norm_eps_zero.json"}, R"(bareformer: error: DIR/norm_eps_zero.json: model.norm_eps: expected a positive number, got 0 (with eps = 0 an all-zero row makes RMSNorm and LayerNorm compute 0/0))"},
      {{"describe", "DIR/ok.json", "--set", "nonsense"}, R"(bareformer: error: --set "nonsense": expected PATH=VALUE, e.g. model.block.b_FF=0.2)"},
      {{"describe", "DIR/ok.json", "--set", "model.n_head=\"4\""}, R"(bareformer: error: --set "model.n_head="4"": model.n_head: expected an integer, got "4")"},
      {{"describe", "DIR/ok.json", "--set", "optim.lr=1e999"}, R"(bareformer: error: --set "optim.lr=1e999": [json.exception.out_of_range.406] number overflow parsing '1e999'; config numbers must be finite)"},
      {{"describe", "DIR/ok.json", "--set", "optim.lr=NaN"}, R"(bareformer: error: --set "optim.lr=NaN": optim.lr: expected a number, got "NaN")"},
      {{"describe", "DIR/ok.json", "--set", "model.preset=\xff"}, "bareformer: error: --set \"model.preset=\xef\xbf\xbd\": not valid UTF-8"},
      {{"describe", "DIR/ok.json", "--set", "model.n_layer.x=1"}, R"(bareformer: error: --set "model.n_layer.x=1": model.n_layer is not a section)"},
      {{"describe", "DIR/ok.json", "--set", "model.block={\"b_FF\": 1, \"b_FF\": 2}"}, R"(bareformer: error: --set "model.block={"b_FF": 1, "b_FF": 2}": duplicate key "b_FF" (JSON would keep only the last one; remove the other))"},
  });
}

TEST_CASE("errors: token files (bareformer train with a bad train.bin or val.bin)") {
  ScratchDir dir("data");
  make_tiny_run_files(dir);
  const std::string good = bf::read_whole_file(dir / "data/train.bin");
  auto data_dir = [&](const std::string& name, const std::string& train_bytes) {
    write_bytes(dir / (name + "/train.bin"), train_bytes);
    fs::copy_file(dir / "data/val.bin", dir / (name + "/val.bin"));
  };
  data_dir("empty", "");
  std::string no_tokens = good.substr(0, 32);
  for (int i = 16; i < 24; ++i) no_tokens[i] = 0;  // token_count 0
  data_dir("no_tokens", no_tokens);
  data_dir("truncated", good.substr(0, good.size() - 10));
  std::string magic = good;
  magic[0] = 'X';
  data_dir("magic", magic);
  std::string vocab = good;  // vocab 100: the first id >= 100 is out of vocabulary
  vocab[12] = 100, vocab[13] = 0;
  data_dir("out_of_vocab", vocab);
  std::vector<uint16_t> wide(100, 7);
  fs::create_directories(dir.path / "big_vocab");
  bf::write_token_file(dir / "big_vocab/train.bin", 300, wide);
  fs::copy_file(dir / "data/val.bin", dir / "big_vocab/val.bin");
  fs::create_directories(dir / "missing");
  fs::create_directories(dir.path / "short_val");
  bf::write_token_file(dir / "short_val/train.bin", 256, std::vector<uint8_t>(good.begin() + 32, good.end()));
  bf::write_token_file(dir / "short_val/val.bin", 256, std::vector<uint8_t>(5, 'x'));

  auto train_on = [](const std::string& data) {
    return std::vector<std::string>{"train", "DIR/tiny.json", "--set", "data.dir=DIR/" + data, "--set",
                                    "run.out_dir=DIR/run_" + data};
  };
  check_rows(dir, {
      {train_on("empty"), "bareformer: error: token file 'DIR/empty/train.bin': file too short: 0 bytes, expected at least the 32-byte header"},
      {train_on("no_tokens"), "bareformer: error: token file 'DIR/no_tokens/train.bin' has 0 tokens, too few for one training window: seq_len 16 needs at least 17"},
      {train_on("truncated"), "bareformer: error: token file 'DIR/truncated/train.bin': truncated: expected 6932 bytes (32-byte header + 6900 tokens x 1 byte(s)), file has 6922 bytes"},
      {train_on("magic"), "bareformer: error: token file 'DIR/magic/train.bin': not a bareformer token file (bytes 0..7 should be the magic \"BFTOKENS\", found \"XFTOKENS\")"},
      {train_on("out_of_vocab"), "bareformer: error: token file 'DIR/out_of_vocab/train.bin': token 0 at byte offset 32 has id 100, expected < vocab_size 100"},
      {train_on("big_vocab"), "bareformer: error: DIR/big_vocab/train.bin: vocab_size 300, but DIR/big_vocab has no tokenizer.json, so its tokens are bytes (vocab 256); prepare the folder with bareformer prepare, which writes one"},
      {train_on("missing"), "bareformer: error: token file 'DIR/missing/train.bin': cannot open for reading: No such file or directory"},
      {train_on("short_val"), "bareformer: error: DIR/short_val/val.bin: 5 tokens, too few for one validation window (data.seq_len 16 needs 17)"},
  });
}

TEST_CASE("errors: checkpoints (bareformer eval / sample / train --resume)") {
  ScratchDir dir("checkpoint");
  make_tiny_run_files(dir);
  REQUIRE(bf::test::run_bareformer({"train", dir / "tiny.json"}, dir / "train.log").status == 0);
  const std::string ckpt = dir / "run/checkpoint.safetensors";

  // Hand-made files: the numbers in their messages do not depend on the model or the format's metadata.
  const std::string f32x2 = R"("dtype":"F32","shape":[2])";
  const std::string eight(8, '\0');
  const std::string valid = safetensors_file("{\"a\":{" + f32x2 + R"(,"data_offsets":[0,8]}})", eight);
  write_bytes(dir / "truncated.safetensors", valid.substr(0, valid.size() - 3));
  write_bytes(dir / "header_overflow.safetensors", std::string(8, '\xff') + "{}");
  write_bytes(dir / "header_past_end.safetensors", safetensors_file("{}").substr(0, 8) + "{");
  write_bytes(dir / "overlap.safetensors",
             safetensors_file("{\"a\":{" + f32x2 + R"(,"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[1],"data_offsets":[4,8]}})", eight));
  write_bytes(dir / "out_of_range.safetensors", safetensors_file("{\"a\":{" + f32x2 + R"(,"data_offsets":[4,12]}})", eight));
  write_bytes(dir / "plain.safetensors", valid);  // a valid safetensors file, not a bareformer checkpoint
  // From the real checkpoint: one parameter with another shape, one stored as integers.
  bf::SafetensorsContents real = bf::load_safetensors(ckpt);
  for (const auto& [name, replacement] :
       std::vector<std::pair<std::string, bf::Tensor>>{{"shape", bf::Tensor::zeros({256, 8})},
                                                       {"dtype", bf::Tensor::zeros({256, 16}, bf::DType::i32)}}) {
    std::vector<bf::NamedTensor> tensors = real.tensors;
    for (auto& t : tensors)
      if (t.name == "tok_emb.weight") t.tensor = replacement;
    bf::save_safetensors(dir / (name + ".safetensors"), tensors, real.metadata);
  }
  // The real checkpoint with hostile "config" metadata: the strict config reader, not plain JSON parsing.
  for (const auto& [name, config_text] : std::vector<std::pair<std::string, std::string>>{
           {"meta_huge", R"({"optim": {"lr": 1e999}})"},
           {"meta_deep", R"({"model": {"n_layer": )" + std::string(100, '[') + std::string(100, ']') + "}}"},
           {"meta_duplicate", R"({"model": {"n_layer": 2, "n_layer": 3}})"}}) {
    std::map<std::string, std::string> metadata = real.metadata;
    metadata["config"] = config_text;
    bf::save_safetensors(dir / (name + ".safetensors"), real.tensors, metadata);
  }

  check_rows(dir, {
      {{"eval", "DIR/missing.safetensors"}, "bareformer: error: cannot read 'DIR/missing.safetensors': No such file or directory (errno 2)"},
      {{"eval", "DIR/truncated.safetensors"}, "bareformer: error: safetensors file 'DIR/truncated.safetensors': tensor 'a' (header at bytes 8 to 62): data_offsets end 8 is past the end of the data section (5 bytes, file bytes 62 to 67)"},
      {{"eval", "DIR/header_overflow.safetensors"}, "bareformer: error: safetensors file 'DIR/header_overflow.safetensors': header length 18446744073709551615 (file bytes 0 to 8) is larger than the 100 MB limit"},
      {{"eval", "DIR/header_past_end.safetensors"}, "bareformer: error: safetensors file 'DIR/header_past_end.safetensors': header length 2 (file bytes 0 to 8) exceeds the 1 bytes that follow it"},
      {{"eval", "DIR/overlap.safetensors"}, "bareformer: error: safetensors file 'DIR/overlap.safetensors': tensor 'b' at data_offsets [4, 8) (file byte 119) overlaps tensor 'a' at [0, 8)"},
      {{"eval", "DIR/out_of_range.safetensors"}, "bareformer: error: safetensors file 'DIR/out_of_range.safetensors': tensor 'a' (header at bytes 8 to 63): data_offsets end 12 is past the end of the data section (8 bytes, file bytes 63 to 71)"},
      {{"eval", "DIR/plain.safetensors"}, "bareformer: error: DIR/plain.safetensors: not a bareformer checkpoint (metadata \"format\" is missing)"},
      {{"eval", "DIR/shape.safetensors"}, "bareformer: error: DIR/shape.safetensors: parameter \"tok_emb.weight\" has shape [256, 8], the model needs [256, 16]"},
      {{"sample", "DIR/dtype.safetensors", "--prompt", "def "}, "bareformer: error: DIR/dtype.safetensors: parameter \"tok_emb.weight\" is stored as i32"},
      {{"eval", "DIR/meta_huge.safetensors"}, "bareformer: error: DIR/meta_huge.safetensors (metadata config): [json.exception.out_of_range.406] number overflow parsing '1e999'; config numbers must be finite"},
      {{"eval", "DIR/meta_deep.safetensors"}, "bareformer: error: DIR/meta_deep.safetensors (metadata config): JSON nested more than 64 levels deep (a config has 3: model.block.b_FF)"},
      {{"eval", "DIR/meta_duplicate.safetensors"}, "bareformer: error: DIR/meta_duplicate.safetensors (metadata config): duplicate key \"model.n_layer\" (JSON would keep only the last one; remove the other)"},
      {{"train", "DIR/tiny.json", "--resume", "--set", "model.preset=sas_p"}, "bareformer: error: --resume: DIR/run holds a model trained with other model settings: model.preset (run: \"pre_ln\", now: \"sas_p\"), model.block.a_FF (run: 1.0, now: 0.0), model.block.a_SA (run: 1.0, now: 0.0), model.block.attention (run: \"softmax\", now: \"shaped\"), model.block.b_FF (run: 1.0, now: 0.1), model.block.b_FF_trainable (run: false, now: true) and 7 more; a resumed run keeps its model (train a new run to change it)"},
      {{"train", "DIR/tiny.json", "--resume", "--set", "model.block.b_FF=0.5"}, "bareformer: error: --resume: DIR/run holds a model trained with other model settings: model.block.b_FF (run: 1.0, now: 0.5); a resumed run keeps its model (train a new run to change it)"},
  });
}

TEST_CASE("errors: model.dtype and model.block.norm_position (bareformer train --resume, describe)") {
  ScratchDir dir("dtype");
  make_tiny_run_files(dir);
  REQUIRE(bf::test::run_bareformer({"train", dir / "tiny.json", "--set", "model.dtype=f64"}, dir / "train.log").status == 0);
  check_rows(dir, {
      {{"train", "DIR/tiny.json", "--resume"}, "bareformer: error: --resume: DIR/run holds a model trained with other model settings: model.dtype (run: \"f64\", now: \"f32\"); a resumed run keeps its model (train a new run to change it)"},
      {{"describe", "DIR/tiny.json", "--set", "model.dtype=f16"}, "bareformer: error: --set \"model.dtype=f16\": model.dtype: expected one of f32, f64, got \"f16\""},
      {{"describe", "DIR/tiny.json", "--set", "model.preset=parallel", "--set", "model.block.norm_position=post"}, "bareformer: error: DIR/tiny.json: model.block.norm_position: \"post\" is for sequential blocks; a parallel block (model.block.parallel = true) has its one norm before both branches"},
  });
}

TEST_CASE("errors: command line (missing and conflicting flags)") {
  ScratchDir dir("cli");
  make_tiny_run_files(dir);
  REQUIRE(bf::test::run_bareformer({"train", dir / "tiny.json"}, dir / "train.log").status == 0);
  check_rows(dir, {
      {{}, "A subcommand is required", 106},
      {{"frobnicate"}, "bareformer: error: unknown command \"frobnicate\"; the commands are: prepare, train, eval, sample, describe, gradcheck, compare, config-doc, trace, walkthrough, diagnose, plot, sweep, export", 2},
      {{"trian", "DIR/tiny.json"}, "bareformer: error: unknown command \"trian\" (did you mean \"train\"?); the commands are: prepare, train, eval, sample, describe, gradcheck, compare, config-doc, trace, walkthrough, diagnose, plot, sweep, export", 2},
      {{"train"}, "bareformer: error: train: name a config file (bareformer train configs/sas_p.json), or --resume a run folder"},
      {{"train", "--resume"}, "bareformer: error: train --resume: name the run folder (bareformer train --resume runs/x) or the config file whose run.out_dir it is"},
      {{"train", "DIR/tiny.json", "--accept-changes"}, "bareformer: error: train --accept-changes: only with --resume"},
      {{"train", "DIR/tiny.json", "--resume", "--set", "optim.lr=0.002"}, "bareformer: error: --resume: DIR/run was trained with other settings than asked for now: optim.lr (run: 0.001, now: 0.002); resume without them to continue the run as it was (bareformer train --resume DIR/run), or pass --accept-changes to continue with them"},
      {{"train", "DIR/tiny.json", "DIR/other.json"}, "The following argument was not expected: DIR/other.json", 109},
      {{"train", "DIR/tiny.json", "--bogus"}, "The following argument was not expected: --bogus", 109},
      {{"train", "DIR/tiny.json", "--set"}, "--set: 1 required TEXT missing", 114},
      {{"train", "DIR/tiny.json"}, "bareformer: error: DIR/run already holds a run (DIR/run/checkpoint.safetensors); pass --resume to continue it, or choose another run.out_dir"},
      {{"train", "DIR/tiny.json", "--resume", "--set", "run.out_dir=DIR/fresh"}, "bareformer: error: --resume: there is no checkpoint at DIR/fresh/checkpoint.safetensors to resume from"},
      {{"eval"}, "checkpoint is required", 106},
      {{"sample", "DIR/run/checkpoint.safetensors", "--prompt", "x", "--temperature", "-1"}, "--temperature: Value -1 not in range 0.000000 to 100.000000", 105},
      {{"sample", "DIR/run/checkpoint.safetensors", "--prompt", "x", "--tokens", "0"}, "--tokens: Value 0 not in range 1 to 1000000", 105},
      {{"sample", "DIR/run/checkpoint.safetensors", "--prompt", "x", "--top-k", "-3"}, "--top-k: Value -3 not in range 0 to 1048576", 105},
      {{"sample", "DIR/run/checkpoint.safetensors", "--prompt", "x", "--tokens", "many"}, "--tokens: Value many not in range 1 to 1000000", 105},
  });
}


TEST_CASE("errors: skipped non-finite steps are recorded in metrics.jsonl (skip events, end.skipped_steps)") {
  ScratchDir dir("skip");
  make_tiny_run_files(dir);
  bf::Config c = tiny_in_process_config(dir, "run_skip", 6);
  c.run.skip_nonfinite_steps = true;
  c.run.max_skipped_fraction = 0.5;  // 3 of 8 steps go bad here
  std::ostringstream log;
  bf::TrainOptions options = bf::test::quiet(log);
  options.after_backward = [](int64_t step, bf::Gpt& model) {  // steps 3, 5 and 7 (0-based 2, 4, 6) go bad
    if (step == 2 || step == 4 || step == 6) model.parameters().get("blocks.0.mlp.fc.weight").value.grad().set({0, 0}, INFINITY);
  };
  const bf::TrainSummary s = bf::train(c, options);
  CHECK(s.skipped_steps == 2);
  CHECK(s.step_losses.size() == 4);

  const auto skips = metrics_events(c.run.out_dir, "skip"), ends = metrics_events(c.run.out_dir, "end");
  REQUIRE(skips.size() == 2);
  CHECK(skips[0]["step"] == 3);
  CHECK(skips[1]["step"] == 5);
  CHECK(skips[0]["reason"] == "the gradient of blocks.0.mlp.fc.weight is not finite");
  REQUIRE(ends.size() == 1);
  CHECK(ends[0]["skipped_steps"] == 2);
  CHECK(metrics_events(c.run.out_dir, "train").size() == 4);  // a skipped step logs no loss
  CHECK(log.str().find("step 3: skipped, the gradient of blocks.0.mlp.fc.weight is not finite") != std::string::npos);

  SUBCASE("skipped_steps counts the skips before a resume too") {
    bf::Config longer = c;
    longer.run.steps = 8;
    options.resume = true;
    const bf::TrainSummary resumed = bf::train(longer, options);
    CHECK(resumed.skipped_steps == 3);
    const auto all_ends = metrics_events(c.run.out_dir, "end");
    REQUIRE(all_ends.size() == 2);
    CHECK(all_ends[1]["skipped_steps"] == 3);
    CHECK(metrics_events(c.run.out_dir, "skip").size() == 3);
  }
}

TEST_CASE("errors: a fresh run starts metrics.jsonl empty and removes temp files of killed processes") {
  ScratchDir dir("fresh");
  make_tiny_run_files(dir);
  const bf::Config c = tiny_in_process_config(dir, "run", 2);
  // What a run killed before its first checkpoint leaves behind: metrics lines and a half-written file.
  fs::create_directories(c.run.out_dir);
  write_bytes(c.run.out_dir + "/metrics.jsonl", "{\"event\": \"train\", \"step\": 1, \"loss\": 99}\n{\"event\": \"tr");
  const std::string dead = c.run.out_dir + "/.checkpoint.safetensors.tmp.999999999.0";  // above any pid_max
  const std::string live = c.run.out_dir + "/.checkpoint.safetensors.tmp." + std::to_string(::getpid()) + ".7";
  const std::string other = c.run.out_dir + "/.notes.tmp.txt";  // not ours: no PID where ours have one
  write_bytes(dead, "partial");
  write_bytes(live, "being written");
  write_bytes(other, "user file");
  std::ostringstream log;
  const bf::TrainOptions options = bf::test::quiet(log);
  bf::train(c, options);
  const std::string metrics = bf::read_whole_file(c.run.out_dir + "/metrics.jsonl");
  CHECK(metrics.find("\"loss\": 99") == std::string::npos);
  CHECK(metrics.find("\"loss\":99") == std::string::npos);
  CHECK(metrics_events(c.run.out_dir, "train").size() == 2);
  CHECK_FALSE(fs::exists(dead));
  CHECK(fs::exists(live));
  CHECK(fs::exists(other));
}

TEST_CASE("errors: tokenizers (bareformer prepare --tokenizer, tokenizer.json, model.vocab_size)") {
  ScratchDir dir("tokenizer");
  make_tiny_run_files(dir);
  std::string code;
  for (int i = 0; i < 200; ++i) code += "def f" + std::to_string(i % 13) + "(x):\n    return x + " + std::to_string(i) + "\n";
  write_bytes(dir / "src/a.py", code);
  write_bytes(dir / "src/b.py", code.substr(0, 3000));
  REQUIRE(bf::test::run_bareformer({"prepare", "--out", dir / "bpe", dir / "src", "--tokenizer", "bpe", "--vocab-size",
                                    "300"},
                                   dir / "prepare.log")
              .status == 0);
  // A folder whose tokenizer.json is BPE but whose val.bin is byte-level (two preparations mixed).
  fs::create_directories(dir.path / "mixed");
  fs::copy_file(dir / "bpe/tokenizer.json", dir / "mixed/tokenizer.json");
  fs::copy_file(dir / "bpe/train.bin", dir / "mixed/train.bin");
  fs::copy_file(dir / "data/val.bin", dir / "mixed/val.bin");
  // A hand-edited tokenizer.json whose first merge names a token that does not exist yet.
  fs::create_directories(dir.path / "bad_merge");
  std::string tokenizer = bf::read_whole_file(dir / "bpe/tokenizer.json");
  const size_t first = tokenizer.find("[", tokenizer.find("\"merges\"") + 11);
  tokenizer.replace(first, tokenizer.find("]", first) - first + 1, "[0, 999]");
  write_bytes(dir / "bad_merge/tokenizer.json", tokenizer);
  fs::copy_file(dir / "bpe/train.bin", dir / "bad_merge/train.bin");
  fs::copy_file(dir / "bpe/val.bin", dir / "bad_merge/val.bin");
  REQUIRE(bf::test::run_bareformer({"train", dir / "tiny.json"}, dir / "train.log").status == 0);
  // The same run as it was before runs kept a copy of their tokenizer.
  fs::create_directories(dir.path / "old_run");
  fs::copy_file(dir / "run/checkpoint.safetensors", dir / "old_run/checkpoint.safetensors");
  // A BPE run, and another BPE folder of the same size trained on other text.
  REQUIRE(bf::test::run_bareformer({"prepare", "--out", dir / "bpe_other", dir / "src/a.py", "--tokenizer", "bpe",
                                    "--vocab-size", "300"},
                                   dir / "prepare.log")
              .status == 0);
  REQUIRE(bf::test::run_bareformer({"train", dir / "tiny.json", "--set", "data.dir=" + dir / "bpe", "--set",
                                    "model.vocab_size=300", "--set", "run.out_dir=" + dir / "bpe_run"},
                                   dir / "train.log")
              .status == 0);

  auto prepare = [](std::vector<std::string> extra) {
    std::vector<std::string> args = {"prepare", "--out", "DIR/out", "DIR/src"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  auto train_on = [](const std::string& data, const std::string& vocab) {
    return std::vector<std::string>{"train", "DIR/tiny.json", "--set", "data.dir=DIR/" + data, "--set",
                                    "model.vocab_size=" + vocab, "--set", "run.out_dir=DIR/run_" + data};
  };
  check_rows(dir, {
      {prepare({"--tokenizer", "bpe"}), "bareformer: error: prepare: --tokenizer bpe needs --vocab-size N (257..65536)"},
      {prepare({"--tokenizer", "bpe", "--vocab-size", "100"}), "bareformer: error: prepare: --vocab-size 100 for --tokenizer bpe, expected 257..65536 (256 byte tokens plus at least one merge; ids fit 2 bytes)"},
      {prepare({"--vocab-size", "4096"}), "bareformer: error: prepare: --vocab-size 4096 with --tokenizer bytes, whose vocabulary is always 256 (use --tokenizer bpe for another size)"},
      {prepare({"--tokenizer", "bpe", "--vocab-size", "60000"}), "bareformer: error: BPE: the training text supports at most 386 tokens (256 bytes + 130 merges; then every chunk of it is a single token), vocab_size 60000 asked for: choose a smaller vocabulary or a larger corpus"},
      {prepare({"--tokenizer", "wordpiece"}), "--tokenizer: wordpiece not in {bytes,bpe}", 105},
      {train_on("bpe", "256"), "bareformer: error: model.vocab_size = 256 is smaller than the data's vocabulary: BPE, vocab 300 (44 merges) (DIR/bpe/tokenizer.json); set model.vocab_size to 300 (--set model.vocab_size=300)"},
      {train_on("mixed", "300"), "bareformer: error: DIR/mixed/val.bin: vocab_size 256 differs from the folder's tokenizer (BPE, vocab 300 (44 merges), DIR/mixed/tokenizer.json); the folder mixes two preparations: run bareformer prepare again"},
      {train_on("bad_merge", "300"), "bareformer: error: DIR/bad_merge/tokenizer.json: merges[0] = [0, 999], expected ids in 0..255 (tokens made before merge 0, which makes id 256)"},
      {{"eval", "DIR/run/checkpoint.safetensors", "--data", "DIR/bpe"}, "bareformer: error: the tokenizer of DIR/bpe (BPE, vocab 300 (44 merges)) is not the one the checkpoint was trained with (DIR/run/tokenizer.json: byte-level, vocab 256); use the data folder the checkpoint was trained on (--data DIR)"},
      {{"sample", "DIR/bpe_run/checkpoint.safetensors", "--prompt", "x", "--data", "DIR/bpe_other"}, "bareformer: error: the tokenizer of DIR/bpe_other (BPE, vocab 300 (44 merges)) is not the one the checkpoint was trained with (DIR/bpe_run/tokenizer.json: BPE, vocab 300 (44 merges)); use the data folder the checkpoint was trained on (--data DIR)"},
      {{"train", "DIR/tiny.json", "--resume", "--accept-changes", "--set", "data.dir=DIR/bpe_other", "--set", "model.vocab_size=300", "--set", "run.out_dir=DIR/bpe_run", "--set", "run.steps=4"}, "bareformer: error: --resume: the tokenizer of data.dir DIR/bpe_other (BPE, vocab 300 (44 merges)) is not the one this run was trained with (DIR/bpe_run/tokenizer.json: BPE, vocab 300 (44 merges)); resume with the data the run started on"},
      {{"eval", "DIR/old_run/checkpoint.safetensors", "--data", "DIR/bpe"}, "bareformer: error: the checkpoint's model.vocab_size = 256 is smaller than the data's vocabulary: BPE, vocab 300 (44 merges) (DIR/bpe/tokenizer.json); use the data folder the checkpoint was trained on (--data DIR)"},
      {{"sample", "DIR/run/checkpoint.safetensors", "--prompt", "x", "--data", "DIR/nowhere"}, "bareformer: error: sample: --data DIR/nowhere is not a folder"},
  });
}

TEST_CASE("errors: export, eval --all and sample (bad flags, limits, notices)") {
  ScratchDir dir("interop");
  make_tiny_run_files(dir);
  REQUIRE(bf::test::run_bareformer({"train", dir / "tiny.json"}, dir / "train.log").status == 0);
  // A checkpoint with one weight too large for f16.
  bf::SafetensorsContents real = bf::load_safetensors(dir / "run/checkpoint.safetensors");
  for (auto& t : real.tensors)
    if (t.name == "tok_emb.weight") t.tensor.set({3, 5}, 1e5);
  bf::save_safetensors(dir / "huge.safetensors", real.tensors, real.metadata);
  // Four files for a 10% validation share: whole files cannot come close.
  fs::create_directories(dir.path / "four");
  for (int i = 1; i <= 4; ++i) write_bytes(dir / ("four/f" + std::to_string(i) + ".txt"), std::string(1000 * i, 'a' + i));
  check_rows(dir, {
      {{"export", "DIR/run/checkpoint.safetensors", "DIR/w.safetensors", "--dtype", "f8"}, "--dtype: f8 not in {f32,f16,bf16}", 105},
      {{"export", "DIR/run/checkpoint.safetensors", "DIR/run/checkpoint.safetensors"}, "bareformer: error: export: DIR/run/checkpoint.safetensors is the checkpoint itself; choose another output file"},
      {{"export", "DIR/huge.safetensors", "DIR/w.safetensors", "--dtype", "f16"}, "bareformer: error: export: parameter \"tok_emb.weight\" holds 100000, which rounds to infinity in f16 (largest finite 65504); use --dtype bf16 or f32"},
      {{"eval", "DIR/run/checkpoint.safetensors", "--all", "--batches", "2"}, "--batches excludes --all", 108},
      {{"sample", "DIR/run/checkpoint.safetensors", "--top-p", "0"}, "bareformer: error: sample: --top-p must be in (0, 1], got 0"},
      {{"sample", "DIR/run/checkpoint.safetensors", "--prompt", "a prompt of more than sixteen bytes"}, "bareformer: error: sample: the prompt has 35 tokens, more than the model's 16 positions (model.max_seq_len); shorten it, or pass --sliding-window to keep its last 8"},
      {{"sample", "DIR/run/checkpoint.safetensors", "--prompt", "def ", "--tokens", "20"}, "sample: stopped after 13 of 20 tokens: the context filled the model's 16 positions (model.max_seq_len); --sliding-window continues past it", 0},
      {{"prepare", "--out", "DIR/four_data", "DIR/four"}, "warning: validation is 40% of the bytes, not the 10% of --val-fraction 0.1: whole files are held out, and 4 files of these sizes cannot come closer; give more (or smaller) files, or a single file to split inside it", 0},
  });
}
