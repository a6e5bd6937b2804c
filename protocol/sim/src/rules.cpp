#include "sterifleet/sim/rules.hpp"

#include <array>
#include <nlohmann/json.hpp>
#include <utility>

namespace sterifleet::sim {

namespace {

constexpr std::array<std::pair<Rule, std::string_view>, 19> rule_ids{{
    {Rule::used_without_reprocessing, "device.used_without_reprocessing"},
    {Rule::cartridge_reused, "cartridge.reused"},
    {Rule::cartridge_expired, "cartridge.expired"},
    {Rule::cartridge_overused, "cartridge.overused"},
    {Rule::cycle_parameters_insufficient, "cycle.parameters_insufficient"},
    {Rule::cycle_indicator_failed, "cycle.indicator_failed"},
    {Rule::cycle_bi_positive, "cycle.bi_positive"},
    {Rule::sterility_expired, "device.sterility_expired"},
    {Rule::daily_test_missing, "sterilizer.daily_test_missing"},
    {Rule::daily_test_failed, "sterilizer.daily_test_failed"},
    {Rule::device_offline, "device.offline"},
    {Rule::battery_low, "device.battery_low"},
    {Rule::service_due, "device.service_due"},
    {Rule::depth_exceeds_policy, "session.depth_exceeds_policy"},
    {Rule::device_unknown, "device.unknown"},
    {Rule::identity_mismatch, "device.identity_mismatch"},
    {Rule::sequence_gap, "device.sequence_gap"},
    {Rule::event_rejected, "device.event_rejected"},
    {Rule::protocol_drift, "device.protocol_drift"},
}};

}  // namespace

const std::vector<Rule>& all_rules() {
  static const std::vector<Rule> rules = [] {
    std::vector<Rule> out;
    for (const auto& [rule, id] : rule_ids) out.push_back(rule);
    return out;
  }();
  return rules;
}

std::string_view rule_id(Rule rule) noexcept {
  for (const auto& [candidate, id] : rule_ids) {
    if (candidate == rule) return id;
  }
  return "unknown";
}

std::optional<Rule> parse_rule(std::string_view id) noexcept {
  for (const auto& [rule, candidate] : rule_ids) {
    if (candidate == id) return rule;
  }
  return std::nullopt;
}

std::string to_json_line(const InjectedViolation& violation) {
  const nlohmann::ordered_json out{{"rule", rule_id(violation.rule)},
                                   {"clinic", violation.clinic},
                                   {"device", violation.device},
                                   {"subject", violation.subject},
                                   {"ts", protocol::format_timestamp(violation.ts)}};
  return out.dump();
}

}  // namespace sterifleet::sim
