#include "sterifleet/engine/rules.hpp"

namespace sterifleet::engine {

namespace {

constexpr std::array<std::string_view, rule_count> rule_names{
    "device.used_without_reprocessing",
    "cartridge.reused",
    "cartridge.expired",
    "cartridge.overused",
    "cycle.parameters_insufficient",
    "cycle.indicator_failed",
    "cycle.bi_positive",
    "device.sterility_expired",
    "sterilizer.daily_test_missing",
    "sterilizer.daily_test_failed",
    "device.offline",
    "device.battery_low",
    "device.service_due",
    "session.depth_exceeds_policy",
    "device.unknown",
    "device.identity_mismatch",
    "device.sequence_gap",
    "device.event_rejected",
    "device.protocol_drift",
    "delivery.failed",
    "device.clinic_mismatch",
};

constexpr std::array<std::string_view, 3> severity_names{"info", "warning", "critical"};

}  // namespace

std::string_view to_string(RuleId rule) noexcept { return rule_names[static_cast<std::size_t>(rule)]; }

std::optional<RuleId> parse_rule(std::string_view text) noexcept {
  for (std::size_t i = 0; i < rule_names.size(); ++i) {
    if (rule_names[i] == text) return all_rules[i];
  }
  return std::nullopt;
}

std::string_view to_string(Severity severity) noexcept { return severity_names[static_cast<std::size_t>(severity)]; }

std::optional<Severity> parse_severity(std::string_view text) noexcept {
  for (std::size_t i = 0; i < severity_names.size(); ++i) {
    if (severity_names[i] == text) return static_cast<Severity>(i);
  }
  return std::nullopt;
}

}  // namespace sterifleet::engine
