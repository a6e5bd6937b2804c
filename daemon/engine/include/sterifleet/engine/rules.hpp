// The compliance rules by their stable ids (part of the API and the policy file) and severities.
// Semantics of every rule: daemon/engine/README.md.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace sterifleet::engine {

enum class RuleId {
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
  delivery_failed,  ///< a notification was given up on: not a device's rule (daemon/notify reports it)
  clinic_mismatch,  ///< a device's message on another clinic's topic than the one it is bound to
};

inline constexpr std::size_t rule_count = 21;

inline constexpr std::array<RuleId, rule_count> all_rules{
    RuleId::used_without_reprocessing,
    RuleId::cartridge_reused,
    RuleId::cartridge_expired,
    RuleId::cartridge_overused,
    RuleId::cycle_parameters_insufficient,
    RuleId::cycle_indicator_failed,
    RuleId::cycle_bi_positive,
    RuleId::sterility_expired,
    RuleId::daily_test_missing,
    RuleId::daily_test_failed,
    RuleId::device_offline,
    RuleId::battery_low,
    RuleId::service_due,
    RuleId::depth_exceeds_policy,
    RuleId::device_unknown,
    RuleId::identity_mismatch,
    RuleId::sequence_gap,
    RuleId::event_rejected,
    RuleId::protocol_drift,
    RuleId::delivery_failed,
    RuleId::clinic_mismatch,
};

/// The wire id, e.g. "device.used_without_reprocessing".
std::string_view to_string(RuleId rule) noexcept;
std::optional<RuleId> parse_rule(std::string_view text) noexcept;

enum class Severity { info, warning, critical };

std::string_view to_string(Severity severity) noexcept;
std::optional<Severity> parse_severity(std::string_view text) noexcept;

}  // namespace sterifleet::engine
