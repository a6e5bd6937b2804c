#include "sterifleet/sim/random.hpp"

#include <limits>

namespace sterifleet::sim {

std::int64_t Rng::uniform_int(std::int64_t lo, std::int64_t hi) {
  if (hi <= lo) return lo;
  const auto span = static_cast<std::uint64_t>(hi - lo) + 1U;  // 0 means the full 2^64 range
  if (span == 0) return static_cast<std::int64_t>(next());
  // Reject the top partial bucket so that every value is equally likely.
  const std::uint64_t limit =
      std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % span;
  std::uint64_t draw = next();
  while (draw >= limit) draw = next();
  return lo + static_cast<std::int64_t>(draw % span);
}

double Rng::uniform_real(double lo, double hi) {
  const double unit = static_cast<double>(next() >> 11) * 0x1.0p-53;
  return lo + (hi - lo) * unit;
}

bool Rng::chance(double p) {
  if (p <= 0.0) return false;
  if (p >= 1.0) {
    next();  // same number of draws whatever p is
    return true;
  }
  return uniform_real(0.0, 1.0) < p;
}

std::size_t Rng::index(std::size_t size) {
  return static_cast<std::size_t>(uniform_int(0, static_cast<std::int64_t>(size) - 1));
}

}  // namespace sterifleet::sim
