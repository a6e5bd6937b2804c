#include "summary.hpp"

#include <fmt/format.h>

namespace sterifleet::report {

namespace {

using nlohmann::json;

std::size_t closure_index(std::string_view how) {
  for (std::size_t i = 0; i < std::size(closure_kinds); ++i) {
    if (closure_kinds[i] == how) return i;
  }
  return std::size(closure_kinds) - 1;
}

}  // namespace

std::string format_share(double share) { return fmt::format("{:.4f}", share); }

void Summary::add_session(const StoredRow& row) {
  ++sessions_;
  if (row.boolean("compliant", false)) ++compliant_;
  if (row.member("clearance") == "\"first use\"") ++first_use_;
}

void Summary::add_cycle(const StoredRow& row) {
  ++cycles_;
  ++cycle_states_[row.string("state", "invalid")];
}

void Summary::add_violation(const json& alert, const Closure& closure) {
  ++violations_;
  auto& tally = rules_[alert.value("rule", "")];
  ++tally.opened;
  ++tally.closed[closure_index(closure.how)];
}

void Summary::add_recall(const json& recall) {
  ++recalls_;
  recalled_cycles_ += static_cast<std::int64_t>(recall.at("cycles").size());
  recalled_devices_ += static_cast<std::int64_t>(recall.at("devices").size());
  recalled_sessions_ += static_cast<std::int64_t>(recall.at("sessions").size());
}

std::optional<double> Summary::compliant_share() const {
  if (sessions_ == 0) return std::nullopt;
  return static_cast<double>(compliant_) / static_cast<double>(sessions_);
}

json Summary::to_json() const {
  json by_rule = json::array();
  for (const auto& [rule, tally] : rules_) {
    json row{{"rule", rule}, {"opened", tally.opened}};
    for (std::size_t i = 0; i < std::size(closure_kinds); ++i) row[std::string(closure_kinds[i])] = tally.closed[i];
    by_rule.push_back(std::move(row));
  }
  json recalls{{"positive_bis", recalls_},
               {"recalled_cycles", recalled_cycles_},
               {"devices", recalled_devices_},
               {"sessions", recalled_sessions_}};
  if (kind_ == Kind::recall) return {{"recalls", std::move(recalls)}};
  const auto share = compliant_share();
  const auto state = [this](const char* name) { return cycle_states_.at(name); };
  return {
      {"sessions",
       {{"total", sessions_},
        {"compliant", compliant_},
        {"not_compliant", sessions_ - compliant_},
        {"compliant_share", share ? json(*share) : json(nullptr)},
        {"first_use", first_use_}}},
      {"cycles",
       {{"total", cycles_},
        {"valid", state("valid") + state("awaiting_bi")},
        {"invalid", state("invalid") + state("recalled")},
        {"by_state", cycle_states_}}},
      {"violations", {{"total", violations_}, {"by_rule", std::move(by_rule)}}},
      {"recalls", std::move(recalls)},
  };
}

std::vector<std::pair<std::string, std::string>> Summary::metrics() const {
  const auto n = [](std::int64_t value) { return std::to_string(value); };
  const auto state = [this](const char* name) { return cycle_states_.at(name); };
  std::vector<std::pair<std::string, std::string>> recalls{
      {"recalls", n(recalls_)},
      {"recalled_cycles", n(recalled_cycles_)},
      {"recalled_devices", n(recalled_devices_)},
      {"recalled_sessions", n(recalled_sessions_)},
  };
  if (kind_ == Kind::recall) return recalls;
  const auto share = compliant_share();
  std::vector<std::pair<std::string, std::string>> all{
      {"sessions", n(sessions_)},
      {"sessions_compliant", n(compliant_)},
      {"sessions_not_compliant", n(sessions_ - compliant_)},
      {"sessions_compliant_share", share ? format_share(*share) : ""},
      {"sessions_first_use", n(first_use_)},
      {"cycles", n(cycles_)},
      {"cycles_valid", n(state("valid") + state("awaiting_bi"))},
      {"cycles_invalid", n(state("invalid") + state("recalled"))},
      {"cycles_awaiting_bi", n(state("awaiting_bi"))},
      {"cycles_recalled", n(state("recalled"))},
      {"violations", n(violations_)},
  };
  all.insert(all.end(), recalls.begin(), recalls.end());
  return all;
}

}  // namespace sterifleet::report
