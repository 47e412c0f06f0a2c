// The pieces behind the hardening rows of docs/errors.md, in process: the parameter table a checkpoint is
// checked against (it must agree with the built model for every preset), the run-folder lock, the memory
// estimate and its limit, the allocator's out-of-memory message, UTF-8 escaping of file names, writing a
// set of files, and the bounded whole-file reader.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/storage.h"
#include "nn/gpt.h"
#include "nn/parameter_table.h"
#include "scratch.h"
#include "io/atomic_file.h"
#include "train/batches.h"
#include "train/checkpoint_validation.h"
#include "io/escaped_name.h"
#include "train/memory_estimate.h"
#include "train/run_lock.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using bf::test::ScratchDir;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const bf::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("parameter_table: names, shapes and groups of every preset equal the built model's") {
  for (const std::string& preset : bf::preset_names()) {
    bf::ModelConfig c = bf::preset_model(preset);
    c.n_layer = 3, c.d_model = 12, c.n_head = 3, c.max_seq_len = 8, c.vocab_size = 40, c.mlp_ratio = 2;
    // Trainable gains too, so every BranchGain registers a parameter.
    for (bf::Gain* g : {&c.block.a_SA, &c.block.b_SA, &c.block.a_FF, &c.block.b_FF}) g->trainable = !g->trainable;
    for (int variant = 0; variant < 2; ++variant) {
      if (variant == 1) for (bf::Gain* g : {&c.block.a_SA, &c.block.b_SA, &c.block.a_FF, &c.block.b_FF}) g->trainable = !g->trainable;
      bf::validate(c);
      const bf::Gpt model(c, 1);
      const std::vector<bf::ParameterShape> table = bf::parameter_table(c);
      const auto& built = model.parameters().all();
      INFO(preset, " variant ", variant);
      REQUIRE(table.size() == built.size());
      for (size_t i = 0; i < table.size(); ++i) {
        CHECK(table[i].name == built[i].name);
        std::vector<int64_t> built_shape;
        for (int axis = 0; axis < built[i].value.ndim(); ++axis) built_shape.push_back(built[i].value.size(axis));
        CHECK(table[i].shape == built_shape);
        CHECK(table[i].group == built[i].group);
      }
      CHECK(bf::parameter_count(table) == model.parameters().count());
    }
  }
}

TEST_CASE("RunLock: a second lock on the folder is refused naming the holder's pid; released when dropped") {
  ScratchDir dir("run_lock");
  const std::string run = dir / "run";
  fs::create_directories(run);
  {
    bf::RunLock first(run);
    CHECK(bf::read_whole_file(bf::RunLock::lock_path(run)) == std::to_string(::getpid()) + "\n");
    // flock locks belong to the open file description: a second open in this very process conflicts too.
    CHECK(error_of([&] { bf::RunLock second(run); }) ==
          run + " is in use by another bareformer process (pid " + std::to_string(::getpid()) + " holds " + run +
              "/.lock); wait for it to finish, or choose another run.out_dir");
  }
  CHECK_NOTHROW(bf::RunLock again(run));
  CHECK(error_of([&] { bf::RunLock missing(dir / "no/such/folder"); }).find("cannot open the run folder's lock file") !=
        std::string::npos);
}

TEST_CASE("memory estimate: parameters, gradients, AdamW state and activations; the limit and its override") {
  bf::Config c;
  c.model = bf::preset_model("pre_ln");
  c.model.n_layer = 2, c.model.d_model = 16, c.model.n_head = 2, c.model.max_seq_len = 16, c.model.vocab_size = 256;
  c.data.batch_size = 2, c.data.seq_len = 16;
  const int64_t params = bf::parameter_count(bf::parameter_table(c.model));
  const bf::MemoryEstimate train = bf::estimate_memory(c, bf::MemoryUse::train);
  CHECK(train.parameters == 4 * params);
  CHECK(train.gradients == 4 * params);
  CHECK(train.optimiser == 8 * params);
  // Per block 16 [B,T,d] + 3 [B,T,4d] + 3 [B,H,T,T]; the head 3 [B,T,V]; 4 bytes each.
  const int64_t tokens = 2 * 16;
  CHECK(train.activations == 4 * (2 * (16 * tokens * 16 + 3 * tokens * 64 + 3 * 2 * 2 * 16 * 16) + 3 * tokens * 256));
  c.optim.name = bf::OptimizerKind::sgd;
  CHECK(bf::estimate_memory(c, bf::MemoryUse::train).optimiser == 4 * params);
  const bf::MemoryEstimate describe = bf::estimate_memory(c, bf::MemoryUse::describe);
  CHECK(describe.total() == 4 * params);

  // Saturates rather than overflows.
  c.model.n_layer = 1024, c.model.d_model = 65536, c.model.n_head = 64, c.model.vocab_size = 1 << 20;
  c.model.max_seq_len = 65536, c.data.seq_len = 65536, c.data.batch_size = 65536;
  CHECK(bf::estimate_memory(c, bf::MemoryUse::train).total() == INT64_MAX);

  ::setenv("BAREFORMER_MEMORY_LIMIT", "3M", 1);
  CHECK(bf::memory_limit().bytes == 3 << 20);
  CHECK(bf::memory_limit().description == "the 3.0 MiB allowed by BAREFORMER_MEMORY_LIMIT=3M");
  ::setenv("BAREFORMER_MEMORY_LIMIT", "lots", 1);
  CHECK(error_of([] { bf::memory_limit(); }) == "BAREFORMER_MEMORY_LIMIT=lots: expected bytes, or a number with a K, M, G or T suffix");
  ::unsetenv("BAREFORMER_MEMORY_LIMIT");
  CHECK(bf::memory_limit().bytes == int64_t(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE));
  CHECK(bf::human_bytes(1536) == "1.5 KiB");
  CHECK(bf::human_bytes(100) == "100 bytes");
}

#if !defined(__SANITIZE_ADDRESS__)  // ASan aborts on an allocation this size instead of returning null
TEST_CASE("cpu allocator: out of memory names what was being allocated and the size") {
  bf::AllocationContext context("the test's tensor");
  CHECK(error_of([] { (void)bf::Tensor::empty({int64_t{1} << 42}); }).rfind(
            "cpu allocator: out of memory allocating 17592186044416 bytes (16.0 TiB) for the test's tensor; ", 0) == 0);
}
#endif

TEST_CASE("AllocationContext: innermost scope wins, and the outer one is restored") {
  CHECK(bf::AllocationContext::current().empty());
  {
    bf::AllocationContext outer("outer");
    {
      bf::AllocationContext inner("inner");
      CHECK(bf::AllocationContext::current() == "inner");
    }
    CHECK(bf::AllocationContext::current() == "outer");
  }
  CHECK(bf::AllocationContext::current().empty());
}

TEST_CASE("escape_invalid_utf8: invalid bytes become \\xNN; valid text (any script) is unchanged") {
  CHECK(bf::is_valid_utf8("plain.py"));
  CHECK(bf::is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d"));
  CHECK(bf::escape_invalid_utf8("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK_FALSE(bf::is_valid_utf8("bad\xff.py"));
  CHECK(bf::escape_invalid_utf8("bad\xff\xfe.py") == "bad\\xff\\xfe.py");
  CHECK(bf::escape_invalid_utf8("\xc0\xaf") == "\\xc0\\xaf");          // overlong
  CHECK(bf::escape_invalid_utf8("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
  CHECK(bf::escape_invalid_utf8("x\xe2\x82") == "x\\xe2\\x82");          // cut short
}

TEST_CASE("write_files_atomically: a failure writes none of the set; the index goes last") {
  ScratchDir dir("file_set");
  bf::write_files_atomically({{dir / "a.bin", "A"}, {dir / "index.json", "{}"}});
  CHECK(bf::read_whole_file(dir / "a.bin") == "A");
  CHECK(bf::read_whole_file(dir / "index.json") == "{}");
  fs::create_directories(dir / "b.bin");  // a folder in the way of the second file
  CHECK(error_of([&] { bf::write_files_atomically({{dir / "a.bin", "new"}, {dir / "b.bin", "B"}, {dir / "index.json", "[]"}}); })
            .find("it is a directory; none of the 3 files of the set") != std::string::npos);
  CHECK(bf::read_whole_file(dir / "a.bin") == "A");
  CHECK(bf::read_whole_file(dir / "index.json") == "{}");
  CHECK(dir.entries() == std::vector<std::string>{"a.bin", "b.bin", "index.json"});  // no temp file left
}

TEST_CASE("read_whole_file: devices, FIFOs and folders are refused; a size limit is kept") {
  ScratchDir dir("bounded_read");
  CHECK(error_of([] { bf::read_whole_file("/dev/zero"); }) == "cannot read '/dev/zero': not a regular file (a character device)");
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  CHECK(error_of([&] { bf::read_whole_file(dir / "fifo"); }).find("not a regular file (a FIFO)") != std::string::npos);
  CHECK(error_of([&] { bf::read_whole_file(dir.path.string()); }).find("not a regular file (a directory)") != std::string::npos);
  bf::test::write_bytes(dir / "ten", "0123456789");
  CHECK(bf::read_whole_file(dir / "ten", 10) == "0123456789");
  CHECK(error_of([&] { bf::read_whole_file(dir / "ten", 9); }).find("10 bytes, more than the 9-byte limit") != std::string::npos);
  CHECK(bf::non_regular_file_kind("/dev/null") == "a character device");
  CHECK(bf::non_regular_file_kind(dir / "ten").empty());
}

TEST_CASE("eval_window_starts: max_windows in 64 bits (eval_batches x batch_size past 2^31)") {
  const int64_t many = int64_t{600000} * 4096;
  CHECK(bf::eval_window_starts(200, 16, many) == bf::eval_window_starts(200, 16, 0));
  CHECK(bf::eval_window_starts(int64_t{1} << 40, 1, 3) ==
        std::vector<int64_t>{0, ((int64_t{1} << 40) - 1) / 3, 2 * (((int64_t{1} << 40) - 1) / 3)});
}

TEST_CASE("checkpoint metadata: step and sampler_state are read exactly") {
  CHECK(bf::parse_checkpoint_step("0", "f") == 0);
  CHECK(bf::parse_checkpoint_step("9223372036854775807", "f") == INT64_MAX);
  for (const char* bad : {"", "2.5", "-1", "+3", " 3", "3 ", "1e3", "9223372036854775808", "0x10"})
    CHECK(error_of([&] { bf::parse_checkpoint_step(bad, "f"); }) ==
          std::string("f: metadata \"step\" is \"") + bad + "\", expected a non-negative integer");
  CHECK(bf::parse_sampler_state("1 2 3 18446744073709551615", "f") == bf::Rng::State{1, 2, 3, UINT64_MAX});
  for (const char* bad : {"1 2 3", "1 2 3 4 5", "1  2 3 4", "1 2 3 -4", "1 2 3 18446744073709551616", " 1 2 3 4", "1 2 3 4 "})
    CHECK(error_of([&] { bf::parse_sampler_state(bad, "f"); }).find("expected 4 unsigned 64-bit integers") != std::string::npos);
  CHECK(error_of([] { bf::parse_sampler_state("0 0 0 0", "f"); }) ==
        "f: metadata \"sampler_state\" is all zeros, which no generator reaches");
}

TEST_CASE("summary_line: a value that was not measured is said to be so; skipped steps are counted") {
  bf::TrainSummary s;
  s.tokens_per_s = 1234.9;
  s.total_steps = 60;
  CHECK(bf::summary_line(s, "ckpt") ==
        "done: train loss not measured (no step was trained in this process), val loss not measured (no evaluation "
        "ran in this process), 1234 tok/s; ckpt");
  s.final_train_loss = 2.5, s.final_val_loss = 2.75, s.final_val_bpb = 2.75 / std::log(2.0);
  s.skipped_steps = 3;
  CHECK(bf::summary_line(s, "ckpt") ==
        "done: train loss 2.5, val loss 2.75 (3.96741 bits/byte), 1234 tok/s; skipped 3 of 60 steps (non-finite loss "
        "or gradient); ckpt");
}
