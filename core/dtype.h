// Element types. f32 trains, f64 checks gradients; i32 holds token ids and targets (never differentiated).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "core/error.h"

namespace bf {

enum class DType : uint8_t { f32, f64, i32 };

constexpr size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::i32: return 4;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "f32";
    case DType::f64: return "f64";
    case DType::i32: return "i32";
  }
  return "?";
}

DType dtype_from_name(std::string_view name);  // "f32" | "f64" | "i32", else bf::Error

template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::f32;
  else if constexpr (std::is_same_v<T, double>) return DType::f64;
  else {
    static_assert(std::is_same_v<T, int32_t>, "bareformer tensors hold float, double or int32_t");
    return DType::i32;
  }
}

// Calls fn.template operator()<T>() with T = float or double for a floating dtype: the one place where a
// runtime dtype becomes a compile-time type. `what` names the caller in the error for i32.
template <class Fn>
decltype(auto) dispatch_float(DType dtype, std::string_view what, Fn&& fn) {
  switch (dtype) {
    case DType::f32: return fn.template operator()<float>();
    case DType::f64: return fn.template operator()<double>();
    default: fail(what, ": expected a floating dtype (f32 or f64), got ", dtype_name(dtype));
  }
}

}  // namespace bf
