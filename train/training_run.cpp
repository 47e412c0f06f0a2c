#include "train/training_run.h"

#include <filesystem>

#include "backends/kernels.h"
#include "core/error.h"
#include "core/storage.h"
#include "io/atomic_file.h"
#include "train/checkpoint.h"
#include "train/checkpoint_validation.h"
#include "train/memory_estimate.h"
#include "train/trainer.h"

namespace bf {
namespace {

// The sampler draws from its own stream, derived from the run seed (initialisation uses the seed itself).
uint64_t sampler_seed(uint64_t run_seed) { return run_seed ^ 0x5bd1e9955bd1e995ULL; }

// Checked before anything is written: cuda without a device (the error and its reason), and a run that
// would not fit in memory.
Device usable_device(const Config& config) {
  const Device device = config.run.device;
  (void)device_memory(device);
  configure_cpu_threads(config.run.threads);
  check_memory(config, MemoryUse::train, "run.out_dir " + config.run.out_dir);
  return device;
}

const std::string& created_folder(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  BF_CHECK(!ec, dir, ": cannot create run.out_dir (", ec.message(), ")");
  return dir;
}

TokenFile load_validation(const Config& config) {
  TokenFile val = TokenFile::load(config.data.dir + "/val.bin");
  BF_CHECK(val.size() >= int64_t(config.data.seq_len) + 1, val.path(), ": ", val.size(),
           " tokens, too few for one validation window (data.seq_len ", config.data.seq_len, " needs ",
           config.data.seq_len + 1, ")");
  return val;
}

}  // namespace

RunFolder::RunFolder(const Config& config, bool resume) : lock_(created_folder(config.run.out_dir)) {
  // Never overwrite a run's saved work by accident.
  const std::string ckpt = checkpoint_path(config);
  const bool has_checkpoint = std::filesystem::exists(ckpt);
  BF_CHECK(resume || !has_checkpoint, config.run.out_dir, " already holds a run (", ckpt,
           "); pass --resume to continue it, or choose another run.out_dir");
  BF_CHECK(!resume || has_checkpoint, "--resume: there is no checkpoint at ", ckpt, " to resume from");
  remove_stale_temp_files(config.run.out_dir);  // half-written files of a process that was killed
}

RunData::RunData(const Config& config, bool resume)
    : train(TokenFile::load(config.data.dir + "/train.bin")),
      val(load_validation(config)),
      tokenizer(Tokenizer::load_folder(config.data.dir)) {
  // model.vocab_size against the folder's tokenizer, and the token files against it (every id < model.vocab_size).
  check_data_vocabulary(config.data.dir, tokenizer, config.model.vocab_size, {&train, &val});
  BF_CHECK(val.vocab_size() == train.vocab_size(), val.path(), ": token vocabulary ", val.vocab_size(),
           " differs from train.bin's ", train.vocab_size(), " (", train.path(), "); both splits must come from one tokenizer");
  keep_run_tokenizer(config.run.out_dir, tokenizer, config.data.dir, resume);
}

TrainingRun::TrainingRun(const Config& config, bool resume)
    : config(config),
      device(usable_device(config)),
      checkpoint(checkpoint_path(config)),
      folder(config, resume),
      data(config, resume),
      val_fingerprint(token_file_fingerprint(data.val)),
      model(config.model, config.run.seed, config.model.dtype, device),
      optimizer(config.optim, model.parameters()),
      sampler(data.train, config.data.batch_size, config.data.seq_len, sampler_seed(config.run.seed)) {
  if (!resume) return;
  CheckpointInfo info = load_checkpoint(checkpoint, model, &optimizer);
  BF_CHECK(to_json(info.config)["model"] == to_json(config)["model"], checkpoint,
           ": the checkpoint's model section differs from this config's; resume needs the same model");
  start_step = info.step;
  sampler.set_state(info.sampler_state);
}

double TrainingRun::forward_backward(ForwardProbe* probe) {
  sampler.next(tokens, targets);
  model.parameters().zero_grad();
  Tensor loss = model.loss(tokens.to(device), targets.to(device));
  if (probe) *probe = probe_from_tape(model);  // before backward() frees the tape
  const double value = loss.item();
  if (std::isfinite(value)) backward(loss);
  else clear_tape();
  return value;
}

EvalResult TrainingRun::evaluate() const {
  return evaluate_split(model, data.val, data.tokenizer.token_text_bytes(), config.data.batch_size,
                        config.data.seq_len, config.run.eval_batches);
}

void TrainingRun::save(int64_t step) {
  save_checkpoint(checkpoint, config, model, &optimizer, step, sampler.state(), val_fingerprint);
}

}  // namespace bf
