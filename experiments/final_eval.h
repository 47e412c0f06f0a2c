// The final validation loss of a finished run over the whole validation split, appended to its
// metrics.jsonl as a "final_eval" event {step, val_loss, val_bpb, windows, tokens}. A run's periodic
// evaluations use run.eval_batches batches (16 x 16 windows by default: 0.1 nats off the whole split on a
// tiny model); a sweep with "final_eval": "whole_split" reports this number instead (experiments/sweep.h).
#pragma once
#include <string>

namespace bf {

// Evaluates run_dir/checkpoint.safetensors on every validation window of its data.dir, unless
// metrics.jsonl already has a final_eval event at the checkpoint's step. Returns true when it evaluated.
bool append_whole_split_eval(const std::string& run_dir);

}  // namespace bf
