// The rules that follow one device's own facts in device-time order: battery, motor service, needle
// depth during a session (pens) and the daily air-removal test (prevacuum sterilizers), as a fold of
// a state over the facts. A device's messages come out of device-time order only while it has a
// sequence gap (a replay fills it later), so its facts are kept from the moment a gap could matter
// (the window) and re-run from the state before them (the base) whenever one arrives; once no gap is
// open the window is folded into the base. Any arrival order thus gives the alerts device-time order
// gives. Pure: no I/O, no clock.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "sterifleet/engine/alert.hpp"
#include "sterifleet/engine/policy.hpp"
#include "sterifleet/engine/records.hpp"

namespace sterifleet::engine {

/// The episodes the step rules derive for one device, open ones last.
struct StepEpisodes {
  std::vector<Episode> battery_low;
  std::vector<Episode> service_due;
  std::vector<Episode> test_missing;
  std::vector<Episode> test_failed;
  std::map<SessionId, std::vector<Episode>> depth;  ///< by session, every session the facts touched
  /// The rules (and depth's sessions) an episode opened, recurred or closed in: on a base the facts
  /// follow, the alerts of the others are as they were.
  std::set<RuleId> changed;
  std::set<SessionId> depth_changed;
};

/// The state after `facts` (by device time) from `base`, and the episodes on the way. Subjects and
/// summaries name `device`; limits come from `policy`.
std::pair<StepState, StepEpisodes> run_steps(const DeviceId& device, const Policy& policy, StepState base,
                                             std::span<const StepFact> facts);

/// `state` stepped on by one fact that follows every fact it holds, and the episodes of what changed:
/// the rules (and depth's sessions) of StepEpisodes::changed, each with all its episodes from `state`.
StepEpisodes step(const DeviceId& device, const Policy& policy, StepState& state, const StepFact& fact);

/// Where `fact` goes in a window ordered by (device time, boot, seq).
bool step_before(const StepFact& a, const StepFact& b);

}  // namespace sterifleet::engine
