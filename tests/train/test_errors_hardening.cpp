// What a user sees for the second round of hostile and unlucky inputs: two processes in one run folder,
// sizes that overflow or exceed the machine, files that are not regular files, file names that are not
// UTF-8, diverged runs, a file size limit, loosely formed checkpoints, and values that used to be accepted
// silently. Each CLI row is checked against the program and against docs/errors.md (error_rows.h).
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

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
using bf::test::replace_all;
using bf::test::ScratchDir;
using bf::test::write_bytes;

// Sets an environment variable for the children this test starts; restores the old state on exit.
struct ScopedEnv {
  std::string name;
  bool had = false;
  std::string old;
  ScopedEnv(std::string n, const std::string& value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) had = true, old = v;
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (had) ::setenv(name.c_str(), old.c_str(), 1);
    else ::unsetenv(name.c_str());
  }
};

// The last line of a child's output (the error message), DIR standing for the scratch folder.
std::string last_line(const bf::test::ChildResult& r, const ScratchDir& dir) {
  std::string text = replace_all(r.output, dir.path.string(), "DIR");
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const size_t nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

bool page_shows(const std::string& message) {
  return bf::test::errors_page().find("`" + message + "`") != std::string::npos;
}

// Waits (up to a minute) until `path` exists and contains `needle`.
bool wait_for_text(const std::string& path, const std::string& needle) {
  for (int i = 0; i < 600; ++i) {
    if (bf::test::read_bytes(path).find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// A copy of a checkpoint with changed metadata and/or tensors.
void save_variant(const std::string& path, const bf::SafetensorsContents& base,
                  const std::map<std::string, std::string>& metadata_changes,
                  const std::function<void(std::vector<bf::NamedTensor>&)>& edit_tensors = {}) {
  std::map<std::string, std::string> metadata = base.metadata;
  for (const auto& [k, v] : metadata_changes) metadata[k] = v;
  std::vector<bf::NamedTensor> tensors;
  for (const auto& t : base.tensors) tensors.push_back({t.name, t.tensor.clone()});
  if (edit_tensors) edit_tensors(tensors);
  bf::save_safetensors(path, tensors, metadata);
}

}  // namespace

TEST_CASE("hardening: a second process is refused a run folder in use; the lock dies with its holder (SIGKILL)") {
  ScratchDir dir("lock");
  make_tiny_run_files(dir);
  // A run that would take many minutes, logging every step, never checkpointing until its end.
  const std::vector<std::string> long_run = {"train", dir / "tiny.json", "--set", "run.steps=1000000", "--set",
                                             "run.log_every=1", "--set", "run.out_dir=" + dir / "locked"};
  bf::test::ChildOptions holder_options;
  holder_options.output_path = dir / "holder.txt";
  const pid_t holder = bf::test::start_bareformer(long_run, holder_options);
  REQUIRE(wait_for_text(dir / "locked/metrics.jsonl", "\"event\":\"train\""));
  const std::string expected = "bareformer: error: DIR/locked is in use by another bareformer process (pid PID holds "
                               "DIR/locked/.lock); wait for it to finish, or choose another run.out_dir";
  for (const std::vector<std::string>& second :
       {std::vector<std::string>{"train", dir / "tiny.json", "--set", "run.steps=3", "--set", "run.out_dir=" + dir / "locked"},
        std::vector<std::string>{"train", dir / "tiny.json", "--resume", "--set", "run.steps=3", "--set",
                                 "run.out_dir=" + dir / "locked"}}) {
    const bf::test::ChildResult r = bf::test::run_bareformer(second, dir / "second.txt");
    CHECK(r.status == 1);
    CHECK(replace_all(last_line(r, dir), "pid " + std::to_string(holder) + " ", "pid PID ") == expected);
  }
  CHECK(page_shows(expected));
  // The holder's log is intact: still its own start event first, still growing.
  const std::string log = bf::read_whole_file(dir / "locked/metrics.jsonl");
  CHECK(nlohmann::json::parse(log.substr(0, log.find('\n')))["event"] == "start");
  ::kill(holder, SIGKILL);
  CHECK(bf::test::wait_for(holder) == 128 + SIGKILL);
  // The kernel released the lock with the killed process: a new run may use the folder.
  const bf::test::ChildResult after = bf::test::run_bareformer(
      {"train", dir / "tiny.json", "--set", "run.steps=2", "--set", "run.out_dir=" + dir / "locked"}, dir / "after.txt");
  INFO(after.output);
  CHECK(after.status == 0);
}

TEST_CASE("hardening: evaluation sizes are 64-bit (eval_batches x batch_size past 2^31 trains and evaluates)") {
  ScratchDir dir("sizes");
  make_tiny_run_files(dir);
  const bf::test::ChildResult r = bf::test::run_bareformer(
      {"train", dir / "tiny.json", "--set", "run.eval_batches=600000", "--set", "data.batch_size=4096", "--set",
       "run.out_dir=" + dir / "run_big"},
      dir / "out.txt");
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(fs::exists(dir / "run_big/checkpoint.safetensors"));
  REQUIRE(bf::test::run_bareformer({"train", dir / "tiny.json"}, dir / "train.log").status == 0);
  check_rows(dir, {
      {{"eval", "DIR/run/checkpoint.safetensors", "--batches", "2000000000"}, "--batches: Value 2000000000 not in range 1 to 1000000", 105},
      {{"eval", "DIR/run/checkpoint.safetensors", "--batches", "0"}, "--batches: Value 0 not in range 1 to 1000000", 105},
      {{"eval", "DIR/run/checkpoint.safetensors", "--batches", "-1"}, "--batches: Value -1 not in range 1 to 1000000", 105},
  });
}

TEST_CASE("hardening: memory is estimated before it is taken (describe, train, eval of a checkpoint)") {
  ScratchDir dir("memory");
  make_tiny_run_files(dir);
  REQUIRE(bf::test::run_bareformer({"train", dir / "tiny.json"}, dir / "train.log").status == 0);
  // In range for every key, about 60 TB of parameters.
  write_bytes(dir / "huge.json", R"({"model": {"n_layer": 1024, "d_model": 65536, "n_head": 64, "vocab_size": 1048576,
    "max_seq_len": 1024}, "data": {"dir": ")" + dir / "data" + R"(", "seq_len": 1024, "batch_size": 64},
    "run": {"out_dir": ")" + dir / "huge_run" + R"("}})");
  // A small checkpoint whose metadata asks for a model of that size.
  const bf::SafetensorsContents real = bf::load_safetensors(dir / "run/checkpoint.safetensors");
  nlohmann::json config = nlohmann::json::parse(real.metadata.at("config"));
  config["model"]["d_model"] = 65536;
  config["model"]["vocab_size"] = 1048576;
  save_variant(dir / "meta_big.safetensors", real, {{"config", config.dump()}});
  ScopedEnv limit("BAREFORMER_MEMORY_LIMIT", "64G");
  check_rows(dir, {
      {{"describe", "DIR/huge.json"}, "bareformer: error: DIR/huge.json: describing the model needs an estimated 192.3 TiB of memory (parameters 192.3 TiB), more than the 64.0 GiB allowed by BAREFORMER_MEMORY_LIMIT=64G"},
      {{"train", "DIR/huge.json"}, "bareformer: error: DIR/huge.json: training needs an estimated 1.2 PiB of memory (parameters 192.3 TiB, gradients 192.3 TiB, optimiser state 384.5 TiB, activations 496.8 TiB), more than the 64.0 GiB allowed by BAREFORMER_MEMORY_LIMIT=64G"},
      {{"eval", "DIR/meta_big.safetensors"}, "bareformer: error: DIR/meta_big.safetensors: parameter \"tok_emb.weight\" has shape [256, 16], the model needs [1048576, 65536]"},
  });
  CHECK_FALSE(fs::exists(dir / "huge_run"));  // refused before the run folder was made
}

TEST_CASE("hardening: files that are not regular files are refused, not read without bound") {
  ScratchDir dir("nonregular");
  make_tiny_run_files(dir);
  fs::create_directories(dir / "devzero");
  fs::create_symlink("/dev/zero", dir / "devzero/train.bin");
  fs::copy_file(dir / "data/val.bin", dir / "devzero/val.bin");
  const std::vector<std::pair<std::vector<std::string>, std::string>> rows = {
      {{"describe", "/dev/zero"}, "bareformer: error: /dev/zero: not a regular file (a character device), not a config file"},
      {{"eval", "/dev/zero"}, "bareformer: error: cannot read '/dev/zero': not a regular file (a character device)"},
      {{"sample", "/dev/zero", "--prompt", "x"}, "bareformer: error: cannot read '/dev/zero': not a regular file (a character device)"},
      {{"train", "DIR/tiny.json", "--set", "data.dir=DIR/devzero"}, "bareformer: error: token file 'DIR/devzero/train.bin': not a regular file (a character device)"},
  };
  for (const auto& [args, message] : rows) {
    std::vector<std::string> real_args;
    for (const auto& a : args) real_args.push_back(replace_all(a, "DIR", dir.path.string()));
    bf::test::ChildOptions options;
    options.output_path = dir / "out.txt";
    options.memory_limit = 4l << 30;  // a reader without a bound would die here rather than take the machine
    const bf::test::ChildResult r = bf::test::run_bareformer(real_args, options);
    INFO(args[0], " ", args[1]);
    CHECK(r.status == 1);
    CHECK(last_line(r, dir) == message);
    CHECK(page_shows(message));
  }
}

TEST_CASE("hardening: prepare stores a file name that is not UTF-8 escaped, and writes its three files as a set") {
  ScratchDir dir("prepare");
  const std::string text = std::string(400, 'a') + "\n";
  write_bytes(dir / "src/good.py", text + text);
  write_bytes(dir / "src/bad\xff\xfe.py", text);
  write_bytes(dir / "src/other.py", text + text + text);
  const bf::test::ChildResult r =
      bf::test::run_bareformer({"prepare", "--out", dir / "corpus", dir / "src"}, dir / "out.txt");
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("1 file name(s) are not valid UTF-8; corpus.json shows their bytes as \\xNN") != std::string::npos);
  const nlohmann::json meta = nlohmann::json::parse(bf::read_whole_file(dir / "corpus/corpus.json"));
  const std::string dumped = meta.dump();
  CHECK(dumped.find("bad\\\\xff\\\\xfe.py") != std::string::npos);
  CHECK(meta["escaped_names"] == 1);
  // Three files joined by a newline each, split into train and val by whole files.
  CHECK(bf::TokenFile::load(dir / "corpus/train.bin").size() + bf::TokenFile::load(dir / "corpus/val.bin").size() ==
        int64_t(6 * text.size()) + 1);

  // corpus.json cannot be written (a folder in its place): nothing of the set is written.
  fs::create_directories(dir / "blocked/corpus.json");
  const bf::test::ChildResult blocked =
      bf::test::run_bareformer({"prepare", "--out", dir / "blocked", dir / "src"}, dir / "blocked.txt");
  CHECK(blocked.status == 1);
  const std::string message = "bareformer: error: cannot write 'DIR/blocked/corpus.json': it is a directory; none of "
                              "the 4 files of the set (DIR/blocked/tokenizer.json, ...) was written";
  CHECK(last_line(blocked, dir) == message);
  CHECK(page_shows(message));
  CHECK_FALSE(fs::exists(dir / "blocked/train.bin"));
  CHECK_FALSE(fs::exists(dir / "blocked/tokenizer.json"));
  CHECK_FALSE(fs::exists(dir / "blocked/val.bin"));
}

namespace {

// A 20-step tiny pre_ln run in dir that skips non-finite steps.
bf::Config skipping_run(const ScratchDir& dir) {
  make_tiny_run_files(dir);
  bf::Config c;
  c.model = bf::preset_model("pre_ln");
  c.model.n_layer = 2, c.model.d_model = 16, c.model.n_head = 2, c.model.max_seq_len = 16;
  c.data.dir = dir / "data";
  c.data.seq_len = 16, c.data.batch_size = 2;
  c.run.steps = 20, c.run.log_every = 5, c.run.eval_every = 0, c.run.eval_batches = 1, c.run.threads = 1;
  c.run.out_dir = dir / "run";
  c.run.skip_nonfinite_steps = true;
  return c;
}

}  // namespace

TEST_CASE("hardening: a run that skips non-finite steps still evaluates and checkpoints at its end") {
  ScratchDir dir("skip_last");
  const bf::Config c = skipping_run(dir);
  std::ostringstream log;
  bf::TrainOptions options = bf::test::quiet(log);
  options.after_backward = [](int64_t step, bf::Gpt& model) {  // only the last step goes bad (1 of 20)
    if (step == 19) model.parameters().get("blocks.0.mlp.fc.weight").value.grad().set({0, 0}, NAN);
  };
  const bf::TrainSummary s = bf::train(c, options);
  CHECK(s.skipped_steps == 1);
  CHECK(std::isfinite(s.final_val_loss));
  CHECK(s.final_val_loss > 0);  // measured at the end, although the last step was skipped
  CHECK(fs::exists(c.run.out_dir + "/checkpoint.safetensors"));
  CHECK(log.str().find("val loss") != std::string::npos);
}

TEST_CASE("hardening: a run that skips more than a fraction of its steps stops with an error") {
  ScratchDir dir("skip_many");
  const bf::Config c = skipping_run(dir);
  std::ostringstream log;
  bf::TrainOptions options = bf::test::quiet(log);
  options.after_backward = [](int64_t step, bf::Gpt& model) {  // every step from the 5th on goes bad
    if (step >= 4) model.parameters().get("blocks.0.mlp.fc.weight").value.grad().set({0, 0}, INFINITY);
  };
  std::string message;
  try {
    bf::train(c, options);
  } catch (const bf::Error& e) {
    message = replace_all(e.what(), dir.path.string(), "DIR");
  }
  // The default run.max_skipped_fraction 0.1 of 20 steps allows 2 skips; the 3rd (step 7) stops the run.
  CHECK(message == "step 7: 3 of the run's 20 steps skipped (a non-finite loss or gradient), more than "
                   "run.max_skipped_fraction = 0.1 allows; the run diverged, stopping (the last checkpoint, "
                   "DIR/run/checkpoint.safetensors, is untouched)");
  CHECK(page_shows(message));
}

TEST_CASE("hardening: a file size limit is reported as File too large, not a silent SIGXFSZ death") {
  ScratchDir dir("fsize");
  make_tiny_run_files(dir);
  bf::test::ChildOptions options;
  options.output_path = dir / "out.txt";
  options.file_size_limit = 50000;  // config.json and metrics.jsonl fit, the checkpoint does not
  options.ignore_sigxfsz = false;   // the program must ignore the signal itself
  const bf::test::ChildResult r = bf::test::run_bareformer({"train", dir / "tiny.json"}, options);
  INFO(r.output);
  CHECK(r.status == 1);
  // The checkpoint's size depends on the length of the scratch folder's name (in its config): N here.
  const std::string message = "bareformer: error: cannot write 'DIR/run/checkpoint.safetensors': writing N bytes "
                              "failed: File too large (errno 27)";
  const std::string line = last_line(r, dir);
  const size_t digits = line.find("writing ") + 8;
  CHECK(line.substr(0, digits) + "N" + line.substr(line.find(" bytes failed")) == message);
  CHECK(page_shows(message));
}

TEST_CASE("hardening: strict checkpoints (each loose field is an error naming the file and the field)") {
  ScratchDir dir("strict");
  make_tiny_run_files(dir);
  REQUIRE(bf::test::run_bareformer({"train", dir / "tiny.json"}, dir / "train.log").status == 0);
  const std::string ckpt = dir / "run/checkpoint.safetensors";
  const bf::SafetensorsContents real = bf::load_safetensors(ckpt);

  save_variant(dir / "step_fraction.safetensors", real, {{"step", "2.5"}});
  save_variant(dir / "sampler_five.safetensors", real, {{"sampler_state", "1 2 3 4 5"}});
  save_variant(dir / "sampler_zero.safetensors", real, {{"sampler_state", "0 0 0 0"}});
  save_variant(dir / "optim_unknown.safetensors", real, {}, [](std::vector<bf::NamedTensor>& t) {
    t.push_back({"optim.bogus", bf::Tensor::zeros({1})});
  });
  save_variant(dir / "nan_weights.safetensors", real, {}, [](std::vector<bf::NamedTensor>& t) {
    for (auto& named : t)
      if (named.name == "blocks.0.mlp.fc.weight") named.tensor.set({0, 1}, NAN);
  });
  write_bytes(dir / "trailing.safetensors",
              bf::test::safetensors_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')) +
                  "extra");
  // A run folder whose checkpoint holds its optimiser state as integers, and one with none.
  for (const auto& [name, edit] : std::vector<std::pair<std::string, std::function<void(std::vector<bf::NamedTensor>&)>>>{
           {"run_i32", [](std::vector<bf::NamedTensor>& t) {
              for (auto& named : t)
                if (named.name == "optim.exp_avg.tok_emb.weight") named.tensor = bf::Tensor::zeros({256, 16}, bf::DType::i32);
            }},
           {"run_noopt", [](std::vector<bf::NamedTensor>& t) {
              std::erase_if(t, [](const bf::NamedTensor& n) { return n.name.rfind("optim.", 0) == 0; });
            }}}) {
    fs::create_directories(dir / name);
    save_variant(dir / (name + "/checkpoint.safetensors"), real, {}, edit);
  }
  // The run's metadata data.dir edited to point at another corpus.
  fs::create_directories(dir / "other_data");
  std::vector<uint8_t> other(300, 'y');
  bf::write_token_file(dir / "other_data/train.bin", 256, other);
  bf::write_token_file(dir / "other_data/val.bin", 256, other);
  nlohmann::json moved = nlohmann::json::parse(real.metadata.at("config"));
  moved["data"]["dir"] = dir / "other_data";
  save_variant(dir / "moved_data.safetensors", real, {{"config", moved.dump()}});

  check_rows(dir, {
      {{"eval", "DIR/step_fraction.safetensors"}, "bareformer: error: DIR/step_fraction.safetensors: metadata \"step\" is \"2.5\", expected a non-negative integer"},
      {{"eval", "DIR/sampler_five.safetensors"}, "bareformer: error: DIR/sampler_five.safetensors: metadata \"sampler_state\" is \"1 2 3 4 5\", expected 4 unsigned 64-bit integers"},
      {{"eval", "DIR/sampler_zero.safetensors"}, "bareformer: error: DIR/sampler_zero.safetensors: metadata \"sampler_state\" is all zeros, which no generator reaches"},
      {{"eval", "DIR/optim_unknown.safetensors"}, "bareformer: error: DIR/optim_unknown.safetensors: tensor \"optim.bogus\" is not optimiser state of this run (optim.name adamw keeps optim.exp_avg.* and optim.exp_avg_sq.* of each parameter)"},
      {{"eval", "DIR/trailing.safetensors"}, "bareformer: error: safetensors file 'DIR/trailing.safetensors': 5 bytes after the last tensor (file bytes 70 to 75)"},
      {{"train", "DIR/tiny.json", "--resume", "--set", "run.out_dir=DIR/run_i32"}, "bareformer: error: DIR/run_i32/checkpoint.safetensors: optimiser state \"optim.exp_avg.tok_emb.weight\" is stored as i32"},
      {{"train", "DIR/tiny.json", "--resume", "--set", "run.out_dir=DIR/run_noopt"}, "bareformer: error: DIR/run_noopt/checkpoint.safetensors: optimiser state \"optim.exp_avg.tok_emb.weight\" is missing (was it saved with optim.name = adamw?)"},
      {{"eval", "DIR/moved_data.safetensors"}, "bareformer: error: DIR/moved_data.safetensors: metadata config data.dir DIR/other_data holds a val.bin other than the one this run evaluated on (300 tokens, FNV-1a 4d4dee6c7913d461; the run's: 200 tokens, FNV-1a b3da3fc5e1b955e8); pass --data to evaluate on another corpus"},
      {{"eval", "DIR/nan_weights.safetensors"}, "bareformer: error: DIR/nan_weights.safetensors: parameter \"blocks.0.mlp.fc.weight\" holds nan (element 1); the run diverged, so nothing it computes is meaningful"},
      {{"sample", "DIR/nan_weights.safetensors", "--prompt", "x"}, "bareformer: error: DIR/nan_weights.safetensors: parameter \"blocks.0.mlp.fc.weight\" holds nan (element 1); the run diverged, so nothing it computes is meaningful"},
  });
}

TEST_CASE("hardening: messages say what and where (preset, optimiser state, eval --data, --set, beta2)") {
  ScratchDir dir("where");
  make_tiny_run_files(dir);
  REQUIRE(bf::test::run_bareformer({"train", dir / "tiny.json"}, dir / "train.log").status == 0);
  write_bytes(dir / "bad_preset.json", R"({"model": {"preset": "nope"}})");
  write_bytes(dir / "ok.json", R"({"model": {"n_layer": 2}})");
  fs::create_directories(dir / "short_val");
  bf::write_token_file(dir / "short_val/val.bin", 256, std::vector<uint8_t>(5, 'x'));
  fs::create_directories(dir / "vocab_mismatch");
  fs::copy_file(dir / "data/train.bin", dir / "vocab_mismatch/train.bin");
  bf::write_token_file(dir / "vocab_mismatch/val.bin", 200, std::vector<uint8_t>(100, 'x'));
  check_rows(dir, {
      {{"describe", "DIR/bad_preset.json"}, "bareformer: error: DIR/bad_preset.json: model.preset: expected one of pre_ln, post_ln, post_ln_textbook, parallel, skipless, vskipinit, vskipinit_eq4, sas, sas_p, sas_p_nonorm, got \"nope\""},
      {{"describe", "DIR/ok.json", "--set", "model.preset=nope"}, "bareformer: error: --set \"model.preset=nope\": model.preset: expected one of pre_ln, post_ln, post_ln_textbook, parallel, skipless, vskipinit, vskipinit_eq4, sas, sas_p, sas_p_nonorm, got \"nope\""},
      {{"describe", "DIR/ok.json", "--set", "optim.beta2=1"}, "bareformer: error: --set \"optim.beta2=1\": optim.beta2: expected a number in [0, 1), got 1"},
      {{"describe", "DIR/ok.json", "--set", "model.block={\"b_FF\": \"x\"}"}, "bareformer: error: --set \"model.block={\"b_FF\": \"x\"}\": model.block.b_FF: expected a number, got \"x\""},
      {{"eval", "DIR/run/checkpoint.safetensors", "--data", "DIR/short_val"}, "bareformer: error: DIR/short_val/val.bin: 5 tokens, too few for one validation window (data.seq_len 16 needs 17)"},
      {{"train", "DIR/tiny.json", "--set", "data.dir=DIR/vocab_mismatch", "--set", "run.out_dir=DIR/run_vm"}, "bareformer: error: DIR/vocab_mismatch/val.bin: token vocabulary 200 differs from train.bin's 256 (DIR/vocab_mismatch/train.bin); both splits must come from one tokenizer"},
      {{"sample", "DIR/run/checkpoint.safetensors", "--prompt", "x", "--seed", "-1"}, "--seed: expected an integer in [0, 18446744073709551615], got -1", 105},
      {{"sample", "DIR/run/checkpoint.safetensors", "--prompt", "x", "--seed", "12345678901234567890123"}, "--seed: expected an integer in [0, 18446744073709551615], got 12345678901234567890123", 105},
  });
}

TEST_CASE("hardening: corrupted metrics.jsonl lines are reported on resume and by compare, not dropped silently") {
  ScratchDir dir("metrics");
  make_tiny_run_files(dir);
  REQUIRE(bf::test::run_bareformer({"train", dir / "tiny.json", "--set", "run.log_every=1"}, dir / "train.log").status == 0);
  std::string metrics = bf::read_whole_file(dir / "run/metrics.jsonl");
  const size_t second_line = metrics.find('\n') + 1;
  metrics.insert(second_line, "{\"event\": \"train\", \"step\": 1, \"lo\n");  // a damaged line 2
  write_bytes(dir / "run/metrics.jsonl", metrics);

  const bf::test::ChildResult compare = bf::test::run_bareformer({"compare", dir / "run"}, dir / "compare.txt");
  CHECK(compare.status == 0);
  const std::string compare_warning = "warning: DIR/run/metrics.jsonl: line 2 is not a JSON event; skipped (1 such line)";
  CHECK(replace_all(compare.output, dir.path.string(), "DIR").find(compare_warning) != std::string::npos);
  CHECK(page_shows(compare_warning));

  const bf::test::ChildResult resume =
      bf::test::run_bareformer({"train", dir / "tiny.json", "--resume", "--accept-changes", "--set", "run.steps=3"}, dir / "resume.txt");
  INFO(resume.output);
  CHECK(resume.status == 0);
  const std::string resume_warning = "warning: DIR/run/metrics.jsonl: line 2 is not a JSON event; dropped on resume";
  CHECK(replace_all(resume.output, dir.path.string(), "DIR").find(resume_warning) != std::string::npos);
  CHECK(page_shows(resume_warning));
}
