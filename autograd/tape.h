// The tape (a Wengert list): while grad mode is on, every differentiable op whose inputs require grad
// appends one entry: its inputs, its output and a closure that, given dL/d(output), ACCUMULATES dL/d(input)
// into each input's .grad. backward(loss) walks the entries once in reverse and then frees the tape (and
// with it every activation the closures kept alive).
//
//   forward:   x -> [op 0] -> h -> [op 1] -> loss         tape = [op 0, op 1]
//   backward:  dL/dloss = 1; op 1 writes dL/dh; op 0 writes dL/dx
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace bf {

using BackwardFn = std::function<void(const Tensor& grad_output)>;

struct TapeEntry {
  std::string op;              // "matmul", "rms_norm", ...
  std::string scope;           // the layer that recorded it, e.g. "blocks.0.attn" (see ScopeGuard)
  std::vector<Tensor> inputs;
  Tensor output;
  BackwardFn backward;
  double flops = 0;            // forward floating-point operations (for `bareformer trace`)
  int64_t saved_bytes = 0;     // bytes of tensors the backward keeps alive beyond inputs and output
};

// Grad mode: on by default; off inside a NoGradGuard (evaluation, sampling, optimiser updates).
bool grad_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Names the layer whose ops are being recorded; nested guards join with '.'.
class ScopeGuard {
 public:
  explicit ScopeGuard(const std::string& name);
  ~ScopeGuard();
  ScopeGuard(const ScopeGuard&) = delete;
  ScopeGuard& operator=(const ScopeGuard&) = delete;

 private:
  size_t previous_length_;
};
const std::string& current_scope();

// True when an op over these inputs must be recorded (grad mode on and some defined input requires grad).
bool should_record(std::initializer_list<Tensor> inputs);

struct OpCost {
  double flops = 0;
  int64_t saved_bytes = 0;
};

// Appends the entry {op, inputs, output, backward} and marks the output as requiring grad; returns it.
// Callers go through record() below, which has already decided that the op must be recorded.
Tensor append_to_tape(const char* op, std::vector<Tensor> inputs, Tensor output, BackwardFn backward, OpCost cost);

// Records the op if should_record(inputs), and returns the output either way. The closure stays the
// caller's lambda until then: under NoGradGuard (evaluation, sampling) or when no input requires grad,
// no std::function and no input vector are built, so an unrecorded op costs one check per input.
template <class Backward>
Tensor record(const char* op, std::initializer_list<Tensor> inputs, Tensor output, Backward&& backward,
              OpCost cost = {}) {
  if (!should_record(inputs)) return output;
  return append_to_tape(op, std::vector<Tensor>(inputs), std::move(output),
                        BackwardFn(std::forward<Backward>(backward)), cost);
}

// The gradient buffer of t, allocated as zeros on first use: backward closures accumulate into it.
Tensor grad_of(const Tensor& t);

// Reverse pass from a one-element loss (seed dL/dloss = 1), or from any output with a given seed
// dL/d(output) (gradcheck uses a random projection). Frees the tape afterwards. Calling it again on the
// same recording is a bf::Error.
void backward(const Tensor& loss);
void backward(const Tensor& output, const Tensor& grad_output);

// The entries recorded since the last backward/clear: the one record of a forward pass that every
// reader uses (`bareformer trace`, the diagnostics).
const std::vector<TapeEntry>& tape_entries();

// True when `scope` is `within` or nested under it: "blocks.3.attn" and "blocks.3" are within "blocks.3",
// "blocks.30" is not.
bool scope_within(const std::string& scope, const std::string& within);
// The index of the last entry at or after `from` recorded within `scope`, or -1 when there is none.
int64_t last_entry_within(const std::vector<TapeEntry>& entries, const std::string& scope, size_t from = 0);
void clear_tape();  // drops the recording without a backward pass

}  // namespace bf
