// Maps simulated time onto wall time: `speed` simulated seconds per wall second (0: as fast as
// possible) until the fast-forwarded part ends, then real time. A dropped device imposes a hold:
// simulated time slows down so that its reconnection comes at least `min_wall` after the drop,
// while every other device keeps publishing in proportion (their heartbeats stay honoured).
#pragma once

#include <chrono>
#include <vector>

#include "sterifleet/protocol/time.hpp"

namespace sterifleet::sim {

/// Pure (no clock of its own); not thread-safe.
class Pacer {
 public:
  using Wall = std::chrono::steady_clock::time_point;

  /// `speed_change`: simulated time after which the speed is 1 (the end of the fast-forward).
  Pacer(double speed, protocol::Timestamp sim_start, protocol::Timestamp speed_change, Wall wall_start);

  /// Earliest wall time at which what happens at simulated `at` may be carried out. `hurry` (winding
  /// down after a signal): ignore the speed, keep only the holds of dropped devices.
  Wall release_time(protocol::Timestamp at, bool hurry = false) const;
  /// What happens at `at` was carried out at wall `now`; a late driver continues from there, not in a rush.
  void released(protocol::Timestamp at, Wall now);
  /// A device dropped at simulated `from` (now) and reconnects at simulated `until`, not before `min_wall`.
  void hold(protocol::Timestamp from, protocol::Timestamp until, std::chrono::milliseconds min_wall, Wall now);
  /// The simulated time that wall `now` stands for.
  protocol::Timestamp sim_time(Wall now) const;

 private:
  struct Hold {
    protocol::Timestamp from;
    protocol::Timestamp until;
    std::chrono::milliseconds min_wall;
    Wall wall_from;
  };
  Wall base_release(protocol::Timestamp at) const;

  double speed_;
  protocol::Timestamp speed_change_;
  protocol::Timestamp anchor_sim_;
  Wall anchor_wall_;
  std::vector<Hold> holds_;
};

}  // namespace sterifleet::sim
