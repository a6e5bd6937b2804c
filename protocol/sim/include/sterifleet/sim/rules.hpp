// The compliance rules of daemon/engine/README.md that the simulator can violate on purpose.
// Rule ids are part of the daemon's API; the injected-violations file names them verbatim.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sterifleet/protocol/time.hpp"

namespace sterifleet::sim {

enum class Rule {
  used_without_reprocessing,
  cartridge_reused,
  cartridge_expired,
  cartridge_overused,
  cycle_parameters_insufficient,
  cycle_indicator_failed,
  cycle_bi_positive,
  sterility_expired,
  daily_test_missing,
  daily_test_failed,
  device_offline,
  battery_low,
  service_due,
  depth_exceeds_policy,
  device_unknown,
  identity_mismatch,
  sequence_gap,
  event_rejected,
  protocol_drift,
};

/// Every rule, in the order of the engine README's table.
const std::vector<Rule>& all_rules();
/// The rule id, e.g. "cartridge.reused".
std::string_view rule_id(Rule rule) noexcept;
std::optional<Rule> parse_rule(std::string_view id) noexcept;

/// One violation the simulator injected; it must cause exactly one alert (rule, subject) in the daemon.
struct InjectedViolation {
  Rule rule = Rule::used_without_reprocessing;
  std::string clinic;
  std::string device;
  std::string subject;  ///< device id, cartridge id, "<sterilizer>/<cycle>" or "<pen>/<session>"
  protocol::Timestamp ts;
  friend bool operator==(const InjectedViolation&, const InjectedViolation&) = default;
};

/// One JSON object on one line: {"rule":...,"clinic":...,"device":...,"subject":...,"ts":...}.
std::string to_json_line(const InjectedViolation& violation);

}  // namespace sterifleet::sim
