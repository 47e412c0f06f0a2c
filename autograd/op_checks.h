// Argument checks shared by the ops: each failure names the op and every shape involved.
#pragma once
#include <string_view>

#include "core/tensor.h"

namespace bf {

inline void check_defined(std::string_view op, const Tensor& t, std::string_view what) {
  BF_CHECK(t.defined(), op, ": ", what, " is an undefined tensor");
}

// Same dtype (floating) and device for all operands.
inline void check_compatible(std::string_view op, const Tensor& a, const Tensor& b) {
  BF_CHECK(a.dtype() == b.dtype(), op, ": dtype mismatch, ", a.shape(), " ", dtype_name(a.dtype()), " vs ",
           b.shape(), " ", dtype_name(b.dtype()));
  BF_CHECK(a.device() == b.device(), op, ": device mismatch, ", a.shape(), " on ", device_name(a.device()),
           " vs ", b.shape(), " on ", device_name(b.device()));
}

inline void check_same_shape(std::string_view op, const Tensor& a, const Tensor& b) {
  check_compatible(op, a, b);
  BF_CHECK(a.shape() == b.shape(), op, ": shapes must match, got ", a.shape(), " and ", b.shape());
}

}  // namespace bf
