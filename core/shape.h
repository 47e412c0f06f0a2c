// Shape of a contiguous row-major tensor, 0-D to 4-D.
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>

namespace bf {

class Shape {
 public:
  static constexpr int kMaxDims = 4;

  Shape() = default;  // 0-D: a scalar with one element
  Shape(std::initializer_list<int64_t> dims);
  template <class Container>
  static Shape from(const Container& dims) {
    Shape s;
    for (int64_t d : dims) s.push_back(d);
    return s;
  }

  int ndim() const { return ndim_; }
  int64_t operator[](int axis) const;  // negative axis counts from the end, as in Python
  int64_t numel() const;
  int normalize_axis(int axis) const;  // -1 -> ndim-1; bf::Error when out of range
  int64_t last() const { return ndim_ == 0 ? 1 : dims_[ndim_ - 1]; }
  int64_t rows() const;  // product of all but the last dim (1 for 0-D and 1-D)

  void push_back(int64_t dim);
  Shape without_axis(int axis) const;
  Shape with_last(int64_t dim) const;  // same leading dims, last replaced

  bool operator==(const Shape& other) const;
  bool operator!=(const Shape& other) const { return !(*this == other); }
  std::string str() const;  // "[2, 3, 4]"

 private:
  std::array<int64_t, kMaxDims> dims_{};
  int ndim_ = 0;
};

std::ostream& operator<<(std::ostream& out, const Shape& shape);

}  // namespace bf
