// Per-device sequence bookkeeping: which (boot, seq) were seen, which are missing, and whether a new
// message is new, a redelivery, a gap fill or a regression. Memory is bounded: missing numbers are
// kept as ranges and only the two newest boots are remembered.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace sterifleet::engine {

struct SeqRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  friend bool operator==(const SeqRange&, const SeqRange&) = default;
};

enum class SeqVerdict { fresh, gap_fill, duplicate, regression };

class SequenceTracker {
 public:
  struct Outcome {
    SeqVerdict verdict = SeqVerdict::fresh;
    std::optional<SeqRange> new_gap;  ///< numbers skipped by this message, to request a replay of
  };

  /// Records (boot, seq) and says what it was. Not thread-safe (one device, one strand).
  Outcome observe(std::uint32_t boot, std::uint64_t seq);
  /// True while any number of a remembered boot is missing.
  bool has_gaps() const;
  std::optional<std::uint32_t> latest_boot() const;
  /// True for the (at most two) boots whose numbers it keeps.
  bool remembers(std::uint32_t boot) const;
  std::vector<std::pair<std::uint32_t, SeqRange>> gaps() const;

 private:
  friend struct SnapshotFields;  ///< engine snapshots save and restore the whole state

  struct Boot {
    std::uint32_t number = 0;
    std::uint64_t high = 0;         ///< highest seq seen
    std::vector<SeqRange> missing;  ///< sorted, disjoint
  };
  Boot* find(std::uint32_t boot);
  static bool take_missing(Boot& boot, std::uint64_t seq);

  std::vector<Boot> boots_;  ///< at most two, oldest first
};

}  // namespace sterifleet::engine
