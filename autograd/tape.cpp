#include "autograd/tape.h"

#include "autograd/op_profile.h"
#include "backends/kernels.h"

namespace bf {
namespace {

struct Tape {
  std::vector<TapeEntry> entries;
  uint64_t generation = 1;  // bumped whenever the recording is consumed or cleared
  bool grad_enabled = true;
  std::string scope;
};
thread_local Tape g_tape;

void free_recording() {
  g_tape.entries.clear();
  ++g_tape.generation;
}

}  // namespace

bool grad_enabled() { return g_tape.grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(g_tape.grad_enabled) { g_tape.grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_tape.grad_enabled = previous_; }

ScopeGuard::ScopeGuard(const std::string& name) : previous_length_(g_tape.scope.size()) {
  if (!g_tape.scope.empty()) g_tape.scope += '.';
  g_tape.scope += name;
}
ScopeGuard::~ScopeGuard() { g_tape.scope.resize(previous_length_); }
const std::string& current_scope() { return g_tape.scope; }

bool should_record(std::initializer_list<Tensor> inputs) {
  if (!g_tape.grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Tensor append_to_tape(const char* op, std::vector<Tensor> inputs, Tensor output, BackwardFn backward, OpCost cost) {
  TensorImpl& out = output.impl();
  out.requires_grad = true;
  out.tape_index = static_cast<int64_t>(g_tape.entries.size());
  out.tape_generation = g_tape.generation;
  g_tape.entries.push_back(
      TapeEntry{op, g_tape.scope, std::move(inputs), output, std::move(backward), cost.flops, cost.saved_bytes});
  if (op_profiling()) op_profile_forward(op);
  return output;
}

Tensor grad_of(const Tensor& t) {
  TensorImpl& impl = t.impl();
  if (!impl.grad) impl.grad = Tensor::zeros(t.shape(), t.dtype(), t.device()).impl_ptr();
  return Tensor(impl.grad);
}

void backward(const Tensor& output, const Tensor& grad_output) {
  const TensorImpl& out = output.impl();  // read-only view for the checks
  BF_CHECK(out.requires_grad, "backward: the tensor ", output.shape(),
           " does not require grad (no input of the ops that made it requires grad, or it was made under "
           "NoGradGuard)");
  BF_CHECK(grad_output.shape() == output.shape() && grad_output.dtype() == output.dtype(),
           "backward: grad_output ", grad_output.shape(), " ", dtype_name(grad_output.dtype()),
           " does not match the output ", output.shape(), " ", dtype_name(output.dtype()));
  if (out.tape_index >= 0)
    BF_CHECK(out.tape_generation == g_tape.generation && out.tape_index < int64_t(g_tape.entries.size()),
             "backward: the tape that recorded this tensor was already consumed by an earlier backward() "
             "(or cleared); run the forward pass again before calling backward");

  // Seed dL/d(output), then visit entries newest first. An entry whose output received no gradient is not
  // on a path to the output and is skipped. Intermediate gradients are freed as soon as they are used.
  // Seed by accumulating, like every other gradient write: a leaf that already holds a gradient keeps it.
  // A fresh gradient is a plain copy (no zero-fill and add).
  TensorImpl& out_impl = output.impl();
  if (!out_impl.grad) {
    out_impl.grad = Tensor::empty(output.shape(), output.dtype(), output.device()).impl_ptr();
    Tensor(out_impl.grad).copy_from(grad_output);
  } else {
    Tensor seed(out_impl.grad);
    dispatch_float(seed.dtype(), "backward", [&]<class T>() {
      kernels<T>(seed.device()).axpy(seed.numel(), T(1), grad_output.data<T>(), seed.data<T>());
    });
  }
  for (auto it = g_tape.entries.rbegin(); it != g_tape.entries.rend(); ++it) {
    TensorImpl& produced = it->output.impl();
    if (!produced.grad) continue;
    Tensor grad_output_of_op(produced.grad);
    if (op_profiling()) {
      const double start = op_profile_now();
      it->backward(grad_output_of_op);
      op_profile_backward(it->op, op_profile_now() - start);
    } else {
      it->backward(grad_output_of_op);
    }
    produced.grad.reset();
  }
  free_recording();
}

void backward(const Tensor& loss) {
  BF_CHECK(loss.numel() == 1, "backward: the loss must have one element, got shape ", loss.shape(),
           " (pass grad_output for a non-scalar output)");
  backward(loss, Tensor::ones(loss.shape(), loss.dtype(), loss.device()));
}

const std::vector<TapeEntry>& tape_entries() { return g_tape.entries; }

bool scope_within(const std::string& scope, const std::string& within) {
  return scope.rfind(within, 0) == 0 && (scope.size() == within.size() || scope[within.size()] == '.');
}

int64_t last_entry_within(const std::vector<TapeEntry>& entries, const std::string& scope, size_t from) {
  for (size_t i = entries.size(); i > from; --i)
    if (scope_within(entries[i - 1].scope, scope)) return static_cast<int64_t>(i - 1);
  return -1;
}
void clear_tape() { free_recording(); }

}  // namespace bf
