// Arrival orders for order-independence tests: devices' streams interleaved at random, and some of a
// device's messages delivered late, as a message lost on the way and sent again on `replay` arrives.
// Header-only (the engine's tests do not link the test support library).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace sterifleet::testing {

/// Each stream's items in their own order (as MQTT keeps a device's), the streams interleaved at random.
template <class T>
std::vector<T> interleave(const std::map<std::string, std::vector<T>>& streams, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<T> out;
  std::vector<std::pair<const std::vector<T>*, std::size_t>> cursors;
  for (const auto& [id, s] : streams) {
    if (!s.empty()) cursors.emplace_back(&s, 0);
  }
  while (!cursors.empty()) {
    const auto pick = rng() % cursors.size();
    auto& [stream, next] = cursors[pick];
    out.push_back((*stream)[next++]);
    if (next == stream->size()) cursors.erase(cursors.begin() + static_cast<std::ptrdiff_t>(pick));
  }
  return out;
}

/// About one item in `one_in` of each stream (never its first) moved 1 to 40 items later. `latest(stream,
/// i, to)` may bring the destination `to` of item i nearer (returning i leaves it where it is).
template <class T, class Latest>
std::map<std::string, std::vector<T>> with_late_items(std::map<std::string, std::vector<T>> streams, std::uint64_t seed,
                                                      std::uint64_t one_in, Latest latest) {
  std::mt19937_64 rng(seed * 104729);
  for (auto& [id, stream] : streams) {
    for (std::size_t i = 1; i + 1 < stream.size(); ++i) {
      if (rng() % one_in != 0) continue;
      const auto to = latest(stream, i, std::min(stream.size() - 1, i + 1 + rng() % 40));
      if (to <= i) continue;
      std::rotate(stream.begin() + static_cast<std::ptrdiff_t>(i), stream.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                  stream.begin() + static_cast<std::ptrdiff_t>(to) + 1);
    }
  }
  return streams;
}

}  // namespace sterifleet::testing
