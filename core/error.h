// The one exception type for user-facing errors. Its message names the thing at fault (an op and its
// shapes, a config key path, a file and byte offset) and what was expected.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace bf {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}
}  // namespace detail

// Throws bf::Error with the concatenation of `parts` (anything with operator<<).
template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  throw Error(detail::concat(parts...));
}

}  // namespace bf

// BF_CHECK(cond, "op matmul: ", a.shape(), " vs ", b.shape()) throws bf::Error when cond is false.
#define BF_CHECK(cond, ...)            \
  do {                                 \
    if (!(cond)) ::bf::fail(__VA_ARGS__); \
  } while (0)
