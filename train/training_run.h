// Everything one training run holds, set up and checked before the first step (train/trainer.cpp runs
// the steps): the device, the run folder (created, locked, never overwritten by accident), the data and
// its tokenizer (checked against the model), the model, optimiser and batch sampler, and, with --resume,
// the state the checkpoint saved.
#pragma once
#include <cstdint>
#include <string>

#include "autograd/tape.h"
#include "nn/diagnostics.h"
#include "nn/gpt.h"
#include "io/token_file.h"
#include "text/tokenizer.h"
#include "train/batches.h"
#include "train/config.h"
#include "train/evaluate.h"
#include "train/optimizer.h"
#include "train/run_lock.h"

namespace bf {

// run.out_dir: created if needed and held by this process (train/run_lock.h); a folder that already
// holds a checkpoint is refused unless resuming, a resume needs one; temp files of a killed process go.
class RunFolder {
 public:
  RunFolder(const Config& config, bool resume);

 private:
  RunLock lock_;
};

// train.bin and val.bin of data.dir, and its tokenizer, checked now (not at the first evaluation: a run
// should not train for an hour and then fail) and kept in the run folder (keep_run_tokenizer).
struct RunData {
  RunData(const Config& config, bool resume);
  const TokenFile train;
  const TokenFile val;
  const Tokenizer tokenizer;
};

// Members are built in the order declared, which is the order of the checks: the device and memory
// first, then the folder, then the data, then the model.
struct TrainingRun {
  TrainingRun(const Config& config, bool resume);

  // One step's forward and backward pass on the next batch; returns the loss. A non-finite loss is not
  // backpropagated (the tape is cleared). `probe`, when given, receives what the diagnostics read off the tape.
  double forward_backward(ForwardProbe* probe);
  EvalResult evaluate() const;        // on val.bin, run.eval_batches batches
  void save(int64_t step);            // the checkpoint at `step` steps done

  const Config& config;
  const Device device;                // usable, and the run fits in its memory
  const std::string checkpoint;       // out_dir/checkpoint.safetensors
  const RunFolder folder;
  const RunData data;
  const std::string val_fingerprint;  // saved with each checkpoint
  Gpt model;
  Optimizer optimizer;
  BatchSampler sampler;
  int64_t start_step = 0;             // the checkpoint's step when resumed
  Tensor tokens, targets;             // the batch, reused from step to step
};

}  // namespace bf
