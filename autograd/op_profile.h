// Where a training step's time goes, op by op: a profile kept by the tape itself, off by default.
//
//   forward time of an op  = wall time from the previous recorded op (or op_profile_mark()) to its record()
//                            call: its kernels, its allocations, and any layer code run just before it;
//   backward time of an op = wall time of its backward closure in backward().
// Work outside the tape (gradient norm, optimiser) is added by the caller with op_profile_add.
// When profiling is off each record() pays one branch. GPU kernels run asynchronously, so every timestamp
// first waits for the queued GPU work (cuda_synchronize, a no-op when the GPU is unused): with profiling
// on, a GPU step is serialised and a little slower, but each op is charged its own kernels' time.
// Why a hook and not a reader of the tape like `trace` and the diagnostics (nn/probe.h): a timestamp on
// every entry would wait for the GPU on every op of every step, which only a profiling run should pay;
// and an op's backward time exists only while backward() runs its closure, after which the tape is freed.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bf {

struct OpTime {
  std::string op;
  int64_t calls = 0;  // forward calls
  double forward_s = 0, backward_s = 0;
};

void set_op_profiling(bool on);
bool op_profiling();
void op_profile_mark();                                     // start of a forward pass: forget the time before
void op_profile_add(const std::string& name, double seconds);  // work outside the tape, as forward time
void op_profile_reset();
std::vector<OpTime> op_profile_table();  // sorted by forward + backward time, largest first

// Internal: called by record() and backward().
double op_profile_now();  // seconds on a steady clock, after the queued GPU work has finished
void op_profile_forward(const char* op);
void op_profile_backward(const std::string& op, double seconds);

}  // namespace bf
