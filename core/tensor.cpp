#include "core/tensor.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <iomanip>
#include <sstream>

namespace bf {
namespace {

// Runs fn(T*) over a CPU buffer of any dtype; the host-side helper for factories and element access.
template <class Fn>
void visit_host(DType dtype, void* data, Fn&& fn) {
  switch (dtype) {
    case DType::f32: fn(static_cast<float*>(data)); break;
    case DType::f64: fn(static_cast<double*>(data)); break;
    case DType::i32: fn(static_cast<int32_t*>(data)); break;
  }
}

// Fills a tensor element by element on the host, then moves it to its device.
Tensor make_on_host(const Shape& shape, DType dtype, Device device, const std::function<double(int64_t)>& value) {
  Tensor host = Tensor::empty(shape, dtype, Device::cpu);
  const int64_t n = host.numel();
  visit_host(dtype, host.raw_data(), [&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(value(i));
  });
  return host.to(device);
}

}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(shape.numel()) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_zero();
  return t;
}

Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  return make_on_host(shape, dtype, device, [value](int64_t) { return value; });
}

Tensor Tensor::randn(const Shape& shape, Rng& rng, double mean, double stddev, DType dtype, Device device) {
  return make_on_host(shape, dtype, device, [&](int64_t) { return mean + stddev * rng.normal(); });
}

Tensor Tensor::uniform(const Shape& shape, Rng& rng, double lo, double hi, DType dtype, Device device) {
  return make_on_host(shape, dtype, device, [&](int64_t) { return rng.uniform(lo, hi); });
}

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  BF_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), "Tensor::from_vector: ", values.size(),
           " values do not fill shape ", shape, " (", shape.numel(), " elements)");
  Tensor host = empty(shape, dtype_of<T>(), Device::cpu);
  if (!values.empty()) std::memcpy(host.raw_data(), values.data(), values.size() * sizeof(T));
  return host.to(device);
}
template Tensor Tensor::from_vector<float>(const std::vector<float>&, const Shape&, Device);
template Tensor Tensor::from_vector<double>(const std::vector<double>&, const Shape&, Device);
template Tensor Tensor::from_vector<int32_t>(const std::vector<int32_t>&, const Shape&, Device);

void* Tensor::raw_data() const {
  const TensorImpl& t = impl();
  return static_cast<char*>(t.storage->data()) + t.offset * static_cast<int64_t>(dtype_size(t.dtype));
}

Tensor Tensor::view(const Shape& new_shape) const {
  BF_CHECK(new_shape.numel() == numel(), "reshape: cannot view ", shape(), " (", numel(), " elements) as ",
           new_shape, " (", new_shape.numel(), " elements)");
  auto seen = std::make_shared<TensorImpl>();
  seen->storage = impl().storage;
  seen->offset = impl().offset;
  seen->shape = new_shape;
  seen->dtype = dtype();
  return Tensor(std::move(seen));
}

Tensor Tensor::detach() const { return view(shape()); }

Tensor Tensor::clone() const {
  Tensor copy = empty(shape(), dtype(), device());
  copy.copy_from(*this);
  return copy;
}

Tensor Tensor::to(Device target) const {
  if (device() == target) return *this;
  Tensor copy = empty(shape(), dtype(), target);
  copy.copy_from(*this);
  return copy;
}

Tensor Tensor::to(DType target) const {
  if (dtype() == target) return *this;
  Tensor host = to(Device::cpu);
  Tensor out = empty(shape(), target, Device::cpu);
  const int64_t n = numel();
  visit_host(host.dtype(), host.raw_data(), [&](auto* src) {
    visit_host(target, out.raw_data(), [&](auto* dst) {
      using D = std::remove_pointer_t<decltype(dst)>;
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<D>(src[i]);
    });
  });
  return out.to(device());
}

void Tensor::copy_from(const Tensor& source) {
  BF_CHECK(source.shape() == shape() && source.dtype() == dtype(), "copy_from: source ", source.shape(), " ",
           dtype_name(source.dtype()), " does not match destination ", shape(), " ", dtype_name(dtype()));
  // The device that is not the CPU does the copy (a cpu->cpu copy is a memcpy).
  Device mover = device() != Device::cpu ? device() : source.device();
  device_memory(mover).copy(raw_data(), device(), source.raw_data(), source.device(), nbytes());
}

void Tensor::fill_zero() { device_memory(device()).fill_zero(raw_data(), nbytes()); }

int64_t Tensor::flat_index(std::initializer_list<int64_t> index) const {
  BF_CHECK(static_cast<int>(index.size()) == ndim(), "tensor ", shape(), ": index has ", index.size(),
           " coordinates, expected ", ndim());
  int64_t flat = 0;
  int axis = 0;
  for (int64_t i : index) {
    BF_CHECK(i >= 0 && i < shape()[axis], "tensor ", shape(), ": index ", i, " out of range on axis ", axis);
    flat = flat * shape()[axis] + i;
    ++axis;
  }
  return flat;
}

// On another device one element travels through a host buffer (slow: for tests and printing only).
double Tensor::at(std::initializer_list<int64_t> index) const {
  const int64_t i = flat_index(index);
  const size_t width = dtype_size(dtype());
  alignas(8) unsigned char element[8];
  device_memory(device()).copy(element, Device::cpu, static_cast<const char*>(raw_data()) + i * int64_t(width),
                               device(), width);
  double value = 0;
  visit_host(dtype(), element, [&](auto* p) { value = static_cast<double>(p[0]); });
  return value;
}

void Tensor::set(std::initializer_list<int64_t> index, double value) {
  const int64_t i = flat_index(index);
  const size_t width = dtype_size(dtype());
  alignas(8) unsigned char element[8];
  visit_host(dtype(), element, [&](auto* p) { p[0] = static_cast<std::remove_pointer_t<decltype(p)>>(value); });
  device_memory(device()).copy(static_cast<char*>(raw_data()) + i * int64_t(width), device(), element, Device::cpu,
                               width);
}

double Tensor::item() const {
  BF_CHECK(numel() == 1, "item: tensor ", shape(), " has ", numel(), " elements, expected exactly 1");
  return to_f64_vector()[0];
}

std::vector<double> Tensor::to_f64_vector() const { return to_vector<double>(); }

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor host = to(Device::cpu).to(dtype_of<T>());
  const T* p = static_cast<const T*>(host.raw_data());
  return std::vector<T>(p, p + numel());
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int32_t> Tensor::to_vector<int32_t>() const;

Tensor& Tensor::set_requires_grad(bool value) {
  BF_CHECK(!value || dtype() != DType::i32, "set_requires_grad: an i32 tensor ", shape(), " cannot require grad");
  impl().requires_grad = value;
  return *this;
}

Tensor Tensor::grad() const { return impl().grad ? Tensor(impl().grad) : Tensor(); }

void Tensor::zero_grad() { impl().grad.reset(); }

std::string Tensor::str(int max_per_dim) const {
  max_per_dim = std::max(max_per_dim, 2);  // eliding needs at least one element on each side
  std::ostringstream out;
  out << "Tensor" << shape() << ' ' << dtype_name(dtype()) << ' ' << device_name(device());
  if (requires_grad()) out << " requires_grad";
  out << '\n';
  std::vector<double> values = to_f64_vector();
  out << std::setprecision(dtype() == DType::f64 ? 10 : 6);
  // Recursive print, eliding the middle of long dimensions with "...".
  std::function<void(int, int64_t)> print = [&](int axis, int64_t base) {
    if (ndim() == 0) {
      out << values[0];
      return;
    }
    const int64_t n = shape()[axis];
    int64_t stride = 1;
    for (int a = axis + 1; a < ndim(); ++a) stride *= shape()[a];
    out << '[';
    for (int64_t i = 0; i < n; ++i) {
      if (n > max_per_dim && i == max_per_dim / 2) {
        out << "..., ";
        i = n - max_per_dim / 2;
      }
      if (axis + 1 == ndim()) out << values[base + i];
      else print(axis + 1, base + i * stride);
      if (i + 1 < n) out << (axis + 1 == ndim() ? ", " : ",\n ");
    }
    out << ']';
  };
  print(0, 0);
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Tensor& tensor) { return out << tensor.str(); }

}  // namespace bf
