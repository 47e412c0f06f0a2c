// The glue every op shares, so that an op reads as its kernel calls: run a step with the kernel table of a
// tensor's dtype and device, and record a backward written against that table.
//
//   run_kernels(x, "relu", [&]<class T>(const Kernels<T>& k) { k.relu(n, x.data<T>(), y.data<T>()); });
//   return record_kernels("relu", {x}, y, [x]<class T>(const Kernels<T>& k, const T* dy) {
//     k.relu_backward(x.numel(), x.data<T>(), dy, grad_data<T>(x));
//   });
#pragma once
#include <initializer_list>
#include <string_view>
#include <utility>

#include "autograd/tape.h"
#include "backends/kernels.h"

namespace bf {

// step(kernels<T>(t.device())) with T the floating dtype of t; `what` names the op in the dtype error.
template <class Step>
void run_kernels(const Tensor& t, std::string_view what, Step&& step) {
  dispatch_float(t.dtype(), what, [&]<class T>() { step(kernels<T>(t.device())); });
}

// record() with a backward that is a generic lambda (const Kernels<T>& k, const T* dy): it receives the
// kernel table and the output's gradient for the output's dtype, and accumulates into its inputs' gradients.
template <class Backward>
Tensor record_kernels(const char* op, std::initializer_list<Tensor> inputs, Tensor output, Backward&& backward,
                      OpCost cost = {}) {
  return record(
      op, inputs, std::move(output),
      [op, backward = std::forward<Backward>(backward)](const Tensor& g) {
        run_kernels(g, op, [&]<class T>(const Kernels<T>& k) { backward(k, g.data<T>()); });
      },
      cost);
}

// The gradient buffer of t (grad_of: zeros on first use) as T*; the _if_needed form is null when t is
// undefined or does not require grad (the kernels with optional gradients skip a null one).
template <class T>
T* grad_data(const Tensor& t) {
  return grad_of(t).data<T>();
}
template <class T>
T* grad_data_if_needed(const Tensor& t) {
  return t.defined() && t.requires_grad() ? grad_of(t).data<T>() : nullptr;
}

}  // namespace bf
