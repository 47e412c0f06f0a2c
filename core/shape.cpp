#include "core/shape.h"

#include <sstream>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"

namespace bf {

Shape::Shape(std::initializer_list<int64_t> dims) {
  for (int64_t d : dims) push_back(d);
}

void Shape::push_back(int64_t dim) {
  BF_CHECK(ndim_ < kMaxDims, "shape: at most ", kMaxDims, " dimensions are supported, got more than ", str());
  BF_CHECK(dim >= 0, "shape: dimension ", ndim_, " is negative (", dim, ")");
  dims_[ndim_++] = dim;
}

int Shape::normalize_axis(int axis) const {
  int a = axis < 0 ? axis + ndim_ : axis;
  BF_CHECK(a >= 0 && a < ndim_, "shape: axis ", axis, " out of range for shape ", str());
  return a;
}

int64_t Shape::operator[](int axis) const { return dims_[normalize_axis(axis)]; }

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < ndim_; ++i) n *= dims_[i];
  return n;
}

int64_t Shape::rows() const {
  int64_t n = 1;
  for (int i = 0; i + 1 < ndim_; ++i) n *= dims_[i];
  return n;
}

Shape Shape::without_axis(int axis) const {
  int a = normalize_axis(axis);
  Shape out;
  for (int i = 0; i < ndim_; ++i)
    if (i != a) out.push_back(dims_[i]);
  return out;
}

Shape Shape::with_last(int64_t dim) const {
  Shape out = *this;
  if (ndim_ == 0) out.push_back(dim);
  else out.dims_[ndim_ - 1] = dim;
  return out;
}

bool Shape::operator==(const Shape& other) const {
  if (ndim_ != other.ndim_) return false;
  for (int i = 0; i < ndim_; ++i)
    if (dims_[i] != other.dims_[i]) return false;
  return true;
}

std::string Shape::str() const {
  std::ostringstream out;
  out << '[';
  for (int i = 0; i < ndim_; ++i) out << (i ? ", " : "") << dims_[i];
  out << ']';
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Shape& shape) { return out << shape.str(); }

DType dtype_from_name(std::string_view name) {
  if (name == "f32" || name == "float32") return DType::f32;
  if (name == "f64" || name == "float64") return DType::f64;
  if (name == "i32" || name == "int32") return DType::i32;
  fail("dtype: unknown name \"", name, "\" (expected f32, f64 or i32)");
}

Device device_from_name(std::string_view name) {
  if (name == "cpu") return Device::cpu;
  if (name == "cuda") return Device::cuda;
  fail("device: unknown name \"", name, "\" (expected cpu or cuda)");
}

}  // namespace bf
