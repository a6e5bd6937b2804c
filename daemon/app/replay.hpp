// `sterifleet replay`: recorded traffic through the engine, offline, for what-if policy checks and
// forensics. Input: one {"topic": "...", "payload": {...}} object a line (optionally "received_at").
// Output: JSON lines, alerts then cycles, in a stable order.
#pragma once

#include <iosfwd>
#include <optional>

#include "sterifleet/engine/policy.hpp"
#include "sterifleet/protocol/time.hpp"

namespace sterifleet::app {

struct ReplayOptions {
  engine::Policy policy;
  std::optional<protocol::Timestamp> until;  ///< ignore messages whose device time is later
};

struct ReplaySummary {
  std::size_t lines = 0;
  std::size_t applied = 0;
  std::size_t rejected = 0;
};

ReplaySummary replay(std::istream& in, std::ostream& out, const ReplayOptions& options);

}  // namespace sterifleet::app
