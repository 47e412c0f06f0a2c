// Tensor: a handle to contiguous row-major data of one dtype on one device, shared by reference.
// Copying a Tensor copies the handle, never the data (use clone() for that). view() shares storage.
// The autograd layer keeps its bookkeeping (requires_grad, .grad, the producing tape entry) in the
// TensorImpl so that gradients follow the tensor the user holds; core itself does no math.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/rng.h"
#include "core/shape.h"
#include "core/storage.h"

namespace bf {

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements, from the start of storage
  Shape shape;
  DType dtype = DType::f32;

  // Autograd bookkeeping (read and written by autograd/, opaque to core).
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  // same shape, dtype and device; allocated on first use
  int64_t tape_index = -1;           // index of the tape entry that produced it; -1 for leaves
  uint64_t tape_generation = 0;      // which recording of the tape that index refers to
};

class Tensor {
 public:
  Tensor() = default;  // undefined: defined() is false
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Factories. Random ones draw from the caller's generator, so initialisation is reproducible.
  static Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu);
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu);
  static Tensor ones(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32, Device device = Device::cpu);
  static Tensor randn(const Shape& shape, Rng& rng, double mean = 0.0, double stddev = 1.0,
                      DType dtype = DType::f32, Device device = Device::cpu);
  static Tensor uniform(const Shape& shape, Rng& rng, double lo, double hi, DType dtype = DType::f32,
                        Device device = Device::cpu);
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device = Device::cpu);
  static Tensor empty_like(const Tensor& other) { return empty(other.shape(), other.dtype(), other.device()); }
  static Tensor zeros_like(const Tensor& other) { return zeros(other.shape(), other.dtype(), other.device()); }

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  int ndim() const { return shape().ndim(); }
  int64_t size(int axis) const { return shape()[axis]; }
  int64_t numel() const { return shape().numel(); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }

  // Typed pointer to the first element (device memory for cuda tensors). Checks the dtype.
  template <class T>
  T* data() const {
    BF_CHECK(dtype() == dtype_of<T>(), "tensor ", shape(), ": data<", dtype_name(dtype_of<T>()),
             ">() on a ", dtype_name(dtype()), " tensor");
    return static_cast<T*>(raw_data());
  }
  void* raw_data() const;

  // The same storage seen with another shape; numel must match. A view records nothing on the tape:
  // bf::reshape (autograd/ops.h) is the differentiable op built on it.
  Tensor view(const Shape& shape) const;
  Tensor clone() const;                      // a new copy of the data, no autograd history
  Tensor to(Device device) const;            // copy to another device (the same tensor if already there)
  Tensor to(DType dtype) const;              // converted copy; the tensor itself if already that dtype
  Tensor detach() const;                     // same storage, no autograd history, requires_grad false

  // Element access (for tests, printing, small host-side logic; not for hot loops). On a cuda tensor each
  // call copies one element to or from the host; to_vector() copies the whole tensor once.
  double at(std::initializer_list<int64_t> index) const;
  void set(std::initializer_list<int64_t> index, double value);
  double item() const;  // the value of a one-element tensor
  std::vector<double> to_f64_vector() const;  // copies to host if needed
  template <class T>
  std::vector<T> to_vector() const;
  void fill_zero();
  void copy_from(const Tensor& source);  // same shape and dtype; any devices

  // Autograd slots.
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& set_requires_grad(bool value);
  Tensor grad() const;   // undefined until a backward pass wrote it
  void zero_grad();      // drops the gradient (the next backward starts from zero)
  bool is_leaf() const { return impl().tape_index < 0; }

  TensorImpl& impl() const {
    BF_CHECK(impl_ != nullptr, "tensor: use of an undefined tensor");
    return *impl_;
  }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same_as(const Tensor& other) const { return impl_ == other.impl_; }

  std::string str(int max_per_dim = 6) const;  // "Tensor[2, 3] f32 cpu\n[[...]]"

 private:
  int64_t flat_index(std::initializer_list<int64_t> index) const;
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& out, const Tensor& tensor);

}  // namespace bf
