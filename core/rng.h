// A small seeded generator (xoshiro256**, seeded by splitmix64) whose whole state is four integers, so
// data-loader and initialisation streams can be saved in a checkpoint and restored bit for bit on any
// platform (std::normal_distribution is implementation-defined; this is not).
#pragma once
#include <array>
#include <cstdint>

namespace bf {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { seed_with(seed); }
  void seed_with(uint64_t seed);

  uint64_t next_u64();
  double uniform();                         // in [0, 1), 53 random bits
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal();                          // N(0, 1) by Box-Muller, one value per two uniforms
  uint64_t below(uint64_t bound);           // uniform integer in [0, bound), unbiased

  using State = std::array<uint64_t, 4>;
  State state() const { return state_; }
  void set_state(const State& state) { state_ = state; }

 private:
  State state_{};
};

}  // namespace bf
