#include "sterifleet/engine/policy.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <functional>
#include <set>
#include <span>
#include <sstream>

#include "sterifleet/engine/patient_ref.hpp"

namespace sterifleet::engine {

namespace {

using protocol::TreatmentArea;

// Collects every problem of one file; each check reports and carries on with the default.
class PolicyReader {
 public:
  explicit PolicyReader(std::string_view source) : source_(source) {}

  void error(const toml::node* node, std::string message) {
    errors_.push_back({source_, node ? static_cast<int>(node->source().begin.line) : 0, std::move(message)});
  }
  /// In file order, as an editor shows them.
  std::vector<PolicyError> take_errors() {
    std::stable_sort(errors_.begin(), errors_.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
    return std::move(errors_);
  }
  bool failed() const { return !errors_.empty(); }

  // Reports keys of `table` that are not in `known` (a typo would otherwise silently keep a default).
  void only_keys(const toml::table& table, std::string_view where, std::initializer_list<std::string_view> known) {
    only_keys(table, where, std::span<const std::string_view>(known.begin(), known.size()));
  }
  void only_keys(const toml::table& table, std::string_view where, std::span<const std::string_view> known) {
    for (const auto& [key, node] : table) {
      if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
        error(&node, "unknown key \"" + std::string(key.str()) + "\" in " + std::string(where));
      }
    }
  }

  const toml::table* table(const toml::table& parent, std::string_view key, std::string_view where) {
    const toml::node* node = parent.get(key);
    if (!node) return nullptr;
    if (!node->is_table()) {
      error(node, std::string(where) + "." + std::string(key) + " must be a table");
      return nullptr;
    }
    return node->as_table();
  }

  void number(const toml::table& t, std::string_view key, std::string_view where, double min, double max, double& out) {
    const toml::node* node = t.get(key);
    if (!node) return;
    const auto value = node->value<double>();
    if (!value) {
      error(node, std::string(where) + "." + std::string(key) + " must be a number");
    } else if (*value < min || *value > max) {
      std::ostringstream message;
      message << where << "." << key << " = " << *value << " is outside [" << min << ", " << max << "]";
      error(node, message.str());
    } else {
      out = *value;
    }
  }

  void seconds_from(const toml::table& t, std::string_view key, std::string_view where, double scale, double max,
                    Seconds& out) {
    double value = static_cast<double>(out.count()) / scale;
    number(t, key, where, 0, max, value);
    out = Seconds{static_cast<Seconds::rep>(value * scale + 0.5)};
  }

  void boolean(const toml::table& t, std::string_view key, std::string_view where, bool& out) {
    const toml::node* node = t.get(key);
    if (!node) return;
    if (const auto value = node->value<bool>()) {
      out = *value;
    } else {
      error(node, std::string(where) + "." + std::string(key) + " must be true or false");
    }
  }

  std::optional<std::string> string(const toml::table& t, std::string_view key, std::string_view where) {
    const toml::node* node = t.get(key);
    if (!node) return std::nullopt;
    if (auto value = node->value<std::string>()) return value;
    error(node, std::string(where) + "." + std::string(key) + " must be a string");
    return std::nullopt;
  }

 private:
  std::string source_;
  std::vector<PolicyError> errors_;
};

std::optional<ReprocessingLevel> parse_level(std::string_view text) {
  if (text == "sterilization") return ReprocessingLevel::sterilization;
  if (text == "high_level_disinfection") return ReprocessingLevel::high_level_disinfection;
  return std::nullopt;
}

constexpr std::array<std::string_view, 10> area_names{"forehead", "periorbital", "nose",  "cheek", "perioral",
                                                      "neck",     "decolletage", "scalp", "hands", "body"};

void read_rules(PolicyReader& in, const toml::table& root, Policy& policy) {
  const auto* rules = in.table(root, "rules", "policy");
  if (!rules) return;
  for (const auto& [key, node] : *rules) {
    const auto rule = parse_rule(key.str());
    if (!rule) {
      in.error(&node, "unknown rule \"" + std::string(key.str()) + "\"");
      continue;
    }
    const auto* settings = node.as_table();
    if (!settings) {
      in.error(&node, "rules.\"" + std::string(key.str()) + "\" must be a table { enabled, severity }");
      continue;
    }
    const std::string where = "rules.\"" + std::string(key.str()) + "\"";
    in.only_keys(*settings, where, {"enabled", "severity"});
    in.boolean(*settings, "enabled", where, policy.rule(*rule).enabled);
    if (const auto text = in.string(*settings, "severity", where)) {
      if (const auto severity = parse_severity(*text)) {
        policy.rule(*rule).severity = *severity;
      } else {
        in.error(settings->get("severity"), where + ".severity must be \"info\", \"warning\" or \"critical\"");
      }
    }
    // Fail safe: whether an event nobody could judge broke a rule is unknown, so a person must hear of it;
    // a message under another clinic's topics is not judged either.
    const auto& kept = policy.rule(*rule);
    const bool unjudged = *rule == RuleId::event_rejected || *rule == RuleId::clinic_mismatch;
    if (unjudged && (!kept.enabled || kept.severity != Severity::critical)) {
      in.error(&node,
               where + " must stay enabled and critical: a message that could not be judged must reach a person");
    }
  }
}

void read_simple_tables(PolicyReader& in, const toml::table& root, Policy& policy) {
  if (const auto* t = in.table(root, "battery", "policy")) {
    in.only_keys(*t, "battery", {"threshold_pct", "clear_pct"});
    in.number(*t, "threshold_pct", "battery", 0, 100, policy.battery_threshold_pct);
    in.number(*t, "clear_pct", "battery", 0, 100, policy.battery_clear_pct);
    if (policy.battery_clear_pct < policy.battery_threshold_pct) {
      in.error(t->get("clear_pct"), "battery.clear_pct must be at least battery.threshold_pct");
    }
  }
  if (const auto* t = in.table(root, "service", "policy")) {
    in.only_keys(*t, "service", {"interval_hours"});
    in.number(*t, "interval_hours", "service", 1, 1e6, policy.service_interval_hours);
  }
  if (const auto* t = in.table(root, "heartbeat", "policy")) {
    in.only_keys(*t, "heartbeat", {"pen_s", "roller_s", "sterilizer_s"});
    in.seconds_from(*t, "pen_s", "heartbeat", 1, 86400, policy.heartbeat_pen);
    in.seconds_from(*t, "roller_s", "heartbeat", 1, 86400, policy.heartbeat_roller);
    in.seconds_from(*t, "sterilizer_s", "heartbeat", 1, 86400, policy.heartbeat_sterilizer);
  }
  if (const auto* t = in.table(root, "sterility", "policy")) {
    in.only_keys(*t, "sterility", {"shelf_life_hours"});
    in.seconds_from(*t, "shelf_life_hours", "sterility", 3600, 24 * 3650, policy.shelf_life);
  }
  if (const auto* t = in.table(root, "depth_limits_mm", "policy")) {
    in.only_keys(*t, "depth_limits_mm", std::span<const std::string_view>(area_names));
    for (std::size_t i = 0; i < area_names.size(); ++i) {
      in.number(*t, area_names[i], "depth_limits_mm", 0, 3.0, policy.depth_limit_mm[i]);
    }
  }
  if (const auto* t = in.table(root, "patients", "policy")) {
    in.only_keys(*t, "patients", {"ref_pattern"});
    if (auto pattern = in.string(*t, "ref_pattern", "patients")) {
      try {
        PatientRefPattern compiled(*pattern);
        policy.patient_ref_pattern = std::move(*pattern);
      } catch (const std::regex_error& e) {
        in.error(t->get("ref_pattern"),
                 "patients.ref_pattern is not an ECMAScript regular expression: " + std::string(e.what()));
      }
    }
  }
  if (const auto* t = in.table(root, "notifications", "policy")) {
    in.only_keys(*t, "notifications", {"repeat_critical_min", "repeat_warning_min"});
    in.seconds_from(*t, "repeat_critical_min", "notifications", 60, 7 * 24 * 60, policy.repeat_critical);
    in.seconds_from(*t, "repeat_warning_min", "notifications", 60, 7 * 24 * 60, policy.repeat_warning);
  }
}

// A table of rows replaces the default table as a whole: a clinic states its full table.
void read_exposure_rows(PolicyReader& in, const toml::node* node, std::string_view where,
                        std::vector<ExposureRow>& out) {
  if (!node) return;
  const auto* rows = node->as_array();
  if (!rows || !rows->is_array_of_tables()) {
    in.error(node, std::string(where) + " must be an array of tables [[" + std::string(where) + "]]");
    return;
  }
  std::vector<ExposureRow> parsed;
  for (const auto& row_node : *rows) {
    const auto& row = *row_node.as_table();
    in.only_keys(row, where, {"celsius", "minutes", "not_applicable"});
    ExposureRow parsed_row;
    parsed_row.celsius = -1;
    in.number(row, "celsius", where, 0, 400, parsed_row.celsius);
    bool not_applicable = false;
    in.boolean(row, "not_applicable", where, not_applicable);
    double minutes = -1;
    in.number(row, "minutes", where, 0, 24 * 60, minutes);
    if (parsed_row.celsius < 0) in.error(&row_node, std::string(where) + " row needs celsius");
    if (not_applicable == (minutes >= 0)) {
      in.error(&row_node, std::string(where) + " row needs exactly one of minutes or not_applicable = true");
    }
    if (!not_applicable && minutes >= 0) parsed_row.minimum = Seconds{static_cast<Seconds::rep>(minutes * 60 + 0.5)};
    parsed.push_back(parsed_row);
  }
  std::sort(parsed.begin(), parsed.end(), [](const auto& a, const auto& b) { return a.celsius < b.celsius; });
  out = std::move(parsed);
}

void read_steam(PolicyReader& in, const toml::table& reprocessing, std::string_view key, SteamTable& out) {
  const auto* t = in.table(reprocessing, key, "reprocessing");
  if (!t) return;
  const std::string where = "reprocessing." + std::string(key);
  in.only_keys(*t, where, {"wrapped", "unwrapped"});
  read_exposure_rows(in, t->get("wrapped"), where + ".wrapped", out.wrapped);
  read_exposure_rows(in, t->get("unwrapped"), where + ".unwrapped", out.unwrapped);
}

void read_agents(PolicyReader& in, const toml::node* node, std::vector<ChemicalAgent>& out) {
  if (!node) return;
  const auto* rows = node->as_array();
  if (!rows || !rows->is_array_of_tables()) {
    in.error(node, "reprocessing.agents must be an array of tables [[reprocessing.agents]]");
    return;
  }
  std::vector<ChemicalAgent> agents;
  std::set<std::string> names;
  for (const auto& row_node : *rows) {
    const auto& row = *row_node.as_table();
    const std::string where = "reprocessing.agents";
    in.only_keys(row, where,
                 {"name", "high_level", "min_concentration_pct", "min_temperature_c", "min_contact_min", "source"});
    ChemicalAgent agent;
    agent.name = in.string(row, "name", where).value_or("");
    if (agent.name.empty()) in.error(&row_node, "every reprocessing.agents entry needs a name");
    if (!names.insert(agent.name).second) in.error(&row_node, "agent \"" + agent.name + "\" is listed twice");
    in.boolean(row, "high_level", where, agent.high_level);
    in.number(row, "min_concentration_pct", where, 0, 100, agent.min_concentration_pct);
    in.number(row, "min_temperature_c", where, 0, 400, agent.min_temperature_c);
    in.seconds_from(row, "min_contact_min", where, 60, 24 * 60, agent.min_contact);
    in.string(row, "source", where);
    if (agent.high_level && agent.min_contact.count() == 0) {
      in.error(&row_node, "high-level agent \"" + agent.name + "\" needs min_contact_min");
    }
    agents.push_back(std::move(agent));
  }
  out = std::move(agents);
}

void read_reprocessing(PolicyReader& in, const toml::table& root, Policy& policy) {
  const auto* t = in.table(root, "reprocessing", "policy");
  if (!t) return;
  auto& r = policy.reprocessing;
  in.only_keys(*t, "reprocessing", {"default_level", "models", "steam_gravity", "steam_prevac", "dry_heat", "agents"});
  if (const auto text = in.string(*t, "default_level", "reprocessing")) {
    if (const auto level = parse_level(*text)) {
      r.default_level = *level;
    } else {
      in.error(t->get("default_level"),
               "reprocessing.default_level must be \"sterilization\" or \"high_level_disinfection\"");
    }
  }
  if (const auto* models = in.table(*t, "models", "reprocessing")) {
    for (const auto& [model, node] : *models) {
      const auto text = node.value<std::string>();
      const auto level = text ? parse_level(*text) : std::nullopt;
      if (!level) {
        in.error(&node, "reprocessing.models.\"" + std::string(model.str()) +
                            "\" must be \"sterilization\" or \"high_level_disinfection\"");
      } else {
        r.model_levels[std::string(model.str())] = *level;
      }
    }
  }
  read_steam(in, *t, "steam_gravity", r.steam_gravity);
  read_steam(in, *t, "steam_prevac", r.steam_prevac);
  read_exposure_rows(in, t->get("dry_heat"), "reprocessing.dry_heat", r.dry_heat);
  read_agents(in, t->get("agents"), r.agents);
}

}  // namespace

ReprocessingLevel ReprocessingPolicy::level_for(std::string_view model) const {
  const auto it = model_levels.find(std::string(model));
  return it == model_levels.end() ? default_level : it->second;
}

const ChemicalAgent* ReprocessingPolicy::agent(std::string_view name) const {
  const auto it = std::find_if(agents.begin(), agents.end(), [&](const auto& a) { return a.name == name; });
  return it == agents.end() ? nullptr : &*it;
}

Seconds Policy::heartbeat_for(protocol::DeviceKind kind) const {
  switch (kind) {
    case protocol::DeviceKind::pen:
      return heartbeat_pen;
    case protocol::DeviceKind::roller:
      return heartbeat_roller;
    case protocol::DeviceKind::sterilizer:
      return heartbeat_sterilizer;
  }
  return heartbeat_pen;
}

Seconds Policy::repeat_interval(Severity severity) const {
  return severity == Severity::critical ? repeat_critical : repeat_warning;
}

std::string PolicyError::to_string() const {
  return line > 0 ? source + ":" + std::to_string(line) + ": " + message : source + ": " + message;
}

std::variant<Policy, std::vector<PolicyError>> parse_policy(std::string_view toml_text, std::string_view source_name) {
  return parse_policy_over(default_policy(), toml_text, source_name);
}

std::variant<Policy, std::vector<PolicyError>> parse_policy_over(const Policy& base, std::string_view toml_text,
                                                                 std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    return std::vector<PolicyError>{
        {std::string(source_name), static_cast<int>(e.source().begin.line), std::string(e.description())}};
  }
  PolicyReader in(source_name);
  in.only_keys(root, "the policy",
               {"rules", "battery", "service", "heartbeat", "sterility", "depth_limits_mm", "notifications", "patients",
                "reprocessing"});
  Policy policy = base;
  read_rules(in, root, policy);
  read_simple_tables(in, root, policy);
  read_reprocessing(in, root, policy);
  if (in.failed()) return in.take_errors();
  return policy;
}

const Policy& default_policy() {
  static const Policy policy = [] {
    auto parsed = parse_policy_over(Policy{}, default_policy_text(), "default_policy.toml");
    if (auto* errors = std::get_if<std::vector<PolicyError>>(&parsed)) {
      // The embedded file is tested; failing here is a build defect, not a user error.
      throw std::logic_error("built-in policy is invalid: " + errors->front().to_string());
    }
    return std::get<Policy>(std::move(parsed));
  }();
  return policy;
}

}  // namespace sterifleet::engine
