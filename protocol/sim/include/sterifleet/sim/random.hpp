// Seeded randomness for the simulator: std::mt19937_64 (fully specified by the standard) with our own
// distributions, because std::uniform_*_distribution differ between standard libraries.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace sterifleet::sim {

/// Not thread-safe: one Rng per owner.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t next() { return engine_(); }
  /// Uniform integer in [lo, hi] (inclusive), exact (rejection sampling, no modulo bias).
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi);
  /// Uniform real in [lo, hi), 53 bits of precision.
  double uniform_real(double lo, double hi);
  /// True with probability p (p <= 0 never draws: callers may rely on that to keep streams aligned).
  bool chance(double p);
  /// A uniformly chosen index of a container of `size` elements; size must be positive.
  std::size_t index(std::size_t size);

  template <class T>
  const T& pick(const std::vector<T>& items) {
    return items[index(items.size())];
  }

  /// A child generator whose stream depends only on this one's next draw.
  Rng fork() { return Rng(next()); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace sterifleet::sim
