// Alerts: identity, lifecycle (open -> acknowledged -> resolved; or withdrawn) and the human overlay.
// An alert's id is a stable hash of (clinic, rule, subject, trigger), so re-evaluation, restarts and
// any arrival order give the same id for the same condition.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sterifleet/engine/rules.hpp"
#include "sterifleet/protocol/ids.hpp"
#include "sterifleet/protocol/time.hpp"

namespace sterifleet::engine {

using protocol::ClinicId;
using protocol::DeviceId;
using protocol::Timestamp;

enum class AlertState { open, acknowledged, resolved, withdrawn };
std::string_view to_string(AlertState state) noexcept;
std::optional<AlertState> parse_alert_state(std::string_view text) noexcept;

/// Who did something: "device:PEN-0001", "engine", "token:anna".
using Actor = std::string;

struct Acknowledgement {
  Actor by;
  Timestamp at;
  std::string comment;
};

struct ManualResolution {
  Actor by;
  Timestamp at;
  std::string reason;
  std::int64_t occurrences = 0;  ///< a later occurrence reopens the alert
};

/// What the rules derived: when the condition began, how often it recurred, whether it cleared.
struct Episode {
  std::string trigger;  ///< the fact that opened it, e.g. the message key "PEN-0001/17/1042"
  DeviceId device;
  Timestamp opened_at;
  std::int64_t occurrences = 1;
  std::string summary;
  std::optional<Timestamp> cleared_at;
  std::string clearance;  ///< what cleared it, when it did
  friend bool operator==(const Episode&, const Episode&) = default;
};

struct Alert {
  std::string id;
  ClinicId clinic;
  RuleId rule = RuleId::device_unknown;
  Severity severity = Severity::warning;
  std::string subject;
  Episode episode;
  std::optional<Acknowledgement> ack;
  std::optional<ManualResolution> manual;
  bool silenced = false;   ///< inside a maintenance window of its device
  bool withdrawn = false;  ///< late data showed the condition never held

  AlertState state() const noexcept;
  bool active() const noexcept { return state() == AlertState::open || state() == AlertState::acknowledged; }
};

/// Stable id: 16 hex digits of a hash of the alert's identity.
std::string alert_id(const ClinicId& clinic, RuleId rule, std::string_view subject, std::string_view trigger);

}  // namespace sterifleet::engine
