// `sterifleet replay`: recorded traffic through the engine, offline, for what-if policy checks and
// forensics, judged exactly as the daemon judges it (Engine::receive, fleet::apply). Input: JSON
// lines, each a message {"topic": "...", "payload": {...} or "text" (or "payload_hex"), "received_at"?,
// "quarantine_id"?, "reason"?, "judged_before_fail_safe"?} or a journaled action {"action": {"kind",
// "at", "actor", "body"}}, as `sterifleet export` writes them. Without a receipt time a message is
// received at its device time. Output: JSON lines, rejections as they come, then alerts and cycles in
// a stable order.
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>

#include "sterifleet/engine/policy.hpp"
#include "sterifleet/protocol/time.hpp"

namespace sterifleet::app {

struct ReplayOptions {
  engine::Policy policy;
  std::optional<protocol::Timestamp> until;  ///< ignore messages whose device time is later
  /// Apply journaled policy reloads; off when a what-if policy is to judge the whole recording.
  bool policy_reloads = true;
  std::chrono::seconds max_clock_skew{300};
};

struct ReplaySummary {
  std::size_t lines = 0;
  std::size_t applied = 0;
  std::size_t rejected = 0;
};

ReplaySummary replay(std::istream& in, std::ostream& out, const ReplayOptions& options);

}  // namespace sterifleet::app
