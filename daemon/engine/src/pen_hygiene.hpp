// Whether each session of a pen started on a validly reprocessed pen, derived from the pen's sessions
// and reprocessing facts ordered by device time. A pure function of those facts, so a late
// reprocessing or recall simply re-derives the pen.
#pragma once

#include <optional>
#include <vector>

#include "sterifleet/engine/alert.hpp"
#include "sterifleet/engine/records.hpp"

namespace sterifleet::engine {

struct HygieneDerivation {
  Hygiene state = Hygiene::ready;
  std::vector<Episode> used_without_reprocessing;
  std::vector<Episode> sterility_expired;
  std::optional<Timestamp> next_deadline;  ///< a shelf-life expiry still ahead of the clinic clock
  /// Per session: see SessionRecord::clearance.
  std::vector<std::string> clearance;
};

/// `unmatched_ends`: the pen's session ends whose start was never judged, ascending; each was a use.
/// `shelf_life` zero means event-related sterility (no time limit).
HygieneDerivation derive_hygiene(const DeviceRecord& pen, const std::vector<Timestamp>& unmatched_ends,
                                 Timestamp clinic_clock, Seconds shelf_life);

}  // namespace sterifleet::engine
