// Everything that determines a scenario's action stream: fleet size, simulated period, seed,
// the wall-clock pace (it decides heartbeats and how long drops last), violations, initial boot counters.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "sterifleet/protocol/time.hpp"
#include "sterifleet/sim/rules.hpp"

namespace sterifleet::sim {

struct ViolationConfig {
  double rate = 0.0;     ///< probability per opportunity, 0..1
  std::set<Rule> kinds;  ///< which rules may be violated
};

struct ScenarioConfig {
  int clinics = 2;
  int pens = 4;         ///< per clinic
  int sterilizers = 2;  ///< per clinic
  std::uint64_t seed = 1;

  protocol::Timestamp start;
  /// When the fast-forwarded part ends; the run ends here unless `follow`.
  protocol::Timestamp end;
  /// Keep going after `end` in real time until stopped; pens re-announce their heartbeat at `end`.
  bool follow = false;

  /// Simulated seconds per wall second before `end` (0 = as fast as possible); after `end` it is 1.
  double speed = 60.0;
  /// Declared pen heartbeat before and after `end`; see default_heartbeat().
  std::chrono::seconds heartbeat{10};
  std::chrono::seconds follow_heartbeat{240};

  ViolationConfig violations;
  /// Daemon policy shelf_life_hours (0 = off); must equal the daemon's.
  std::chrono::hours shelf_life{0};

  /// Last persisted boot counter per device id; a device's first power-up uses the next one.
  std::map<std::string, std::uint32_t> boots;
};

/// Pen telemetry period, simulated time.
inline constexpr std::chrono::seconds telemetry_period{60};

/// The heartbeat a pen declares when simulated time runs `speed` times faster than the wall clock:
/// telemetry every 60 s simulated must reach the daemon at least every heartbeat/4 wall seconds.
std::chrono::seconds default_heartbeat(double speed);

/// Empty when valid, else why not (start-up errors).
std::string validate(const ScenarioConfig& config);

}  // namespace sterifleet::sim
