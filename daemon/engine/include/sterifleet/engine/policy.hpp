// The clinic policy: which rules apply, with what severity and parameters, and the reprocessing
// minimums that make a cycle valid. Pure data with documented defaults (the CDC 2008 guideline);
// parse_policy() reads the TOML policy file and reports every error with its line.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sterifleet/engine/rules.hpp"
#include "sterifleet/protocol/message.hpp"

namespace sterifleet::engine {

using Seconds = std::chrono::seconds;

struct RuleSettings {
  bool enabled = true;
  Severity severity = Severity::warning;
};

/// One row of a minimum-exposure table: at `celsius` or hotter, `minimum` is enough;
/// an absent minimum marks the combination "not applicable" (no time is enough).
struct ExposureRow {
  double celsius = 0;
  std::optional<Seconds> minimum;
};

struct SteamTable {
  std::vector<ExposureRow> wrapped;
  std::vector<ExposureRow> unwrapped;
};

struct ChemicalAgent {
  std::string name;
  bool high_level = true;  ///< false: listed as NOT a high-level disinfectant (e.g. alcohols)
  double min_concentration_pct = 0;
  double min_temperature_c = 0;
  Seconds min_contact{0};
};

enum class ReprocessingLevel { sterilization, high_level_disinfection };

struct ReprocessingPolicy {
  SteamTable steam_gravity;
  SteamTable steam_prevac;
  std::vector<ExposureRow> dry_heat;
  std::vector<ChemicalAgent> agents;
  ReprocessingLevel default_level = ReprocessingLevel::sterilization;
  std::map<std::string, ReprocessingLevel> model_levels;  ///< by birth `model`

  ReprocessingLevel level_for(std::string_view model) const;
  const ChemicalAgent* agent(std::string_view name) const;
};

/// The default patient reference pattern: 1 to 64 letters, digits, "_" or "-" (no space, no dot, no "@"),
/// with no part that reads as a date of 1900–2099: yyyy-mm-dd, yyyymmdd, dd-mm-yyyy, mm-dd-yyyy, ddmmyyyy.
inline constexpr std::string_view default_patient_ref_pattern =
    "(?!.*(19|20)[0-9]{2}-?(0[1-9]|1[0-2])-?(0[1-9]|[12][0-9]|3[01]))"
    "(?!.*[0-3][0-9]-?[0-3][0-9]-?(19|20)[0-9]{2})"
    "[A-Za-z0-9_-]{1,64}";

struct Policy {
  std::array<RuleSettings, rule_count> rules{};
  ReprocessingPolicy reprocessing;
  double battery_threshold_pct = 15;
  double battery_clear_pct = 25;
  double service_interval_hours = 500;
  Seconds heartbeat_pen{180};
  Seconds heartbeat_roller{180};
  Seconds heartbeat_sterilizer{600};
  Seconds shelf_life{0};                    ///< 0: event-related sterility (no time limit)
  std::array<double, 10> depth_limit_mm{};  ///< indexed by protocol::TreatmentArea
  /// Default repeat intervals of the daemon's notification routes (daemon/notify); the engine does not
  /// repeat anything itself.
  Seconds repeat_critical{15 * 60};
  Seconds repeat_warning{60 * 60};
  /// ECMAScript regular expression a whole patient reference must match (PatientRefPattern).
  std::string patient_ref_pattern{default_patient_ref_pattern};

  const RuleSettings& rule(RuleId id) const { return rules[static_cast<std::size_t>(id)]; }
  RuleSettings& rule(RuleId id) { return rules[static_cast<std::size_t>(id)]; }
  double depth_limit(protocol::TreatmentArea area) const { return depth_limit_mm[static_cast<std::size_t>(area)]; }
  /// An area the spec does not list (drift) is held to the strictest limit of the policy.
  double depth_limit(const protocol::Listed<protocol::TreatmentArea>& area) const {
    return area.known ? depth_limit(*area.known) : *std::min_element(depth_limit_mm.begin(), depth_limit_mm.end());
  }
  Seconds heartbeat_for(protocol::DeviceKind kind) const;
  Seconds repeat_interval(Severity severity) const;
};

/// The built-in policy: every default of daemon/engine/README.md.
const Policy& default_policy();

struct PolicyError {
  std::string source;
  int line = 0;  ///< 0 when the error has no single line (a missing table)
  std::string message;
  std::string to_string() const;
};

/// Parses a policy file over the defaults: keys it sets replace them, keys it omits keep them.
/// Every error is reported (not only the first). Thread-safe (pure).
std::variant<Policy, std::vector<PolicyError>> parse_policy(std::string_view toml_text, std::string_view source_name);
/// As parse_policy(), over another base policy.
std::variant<Policy, std::vector<PolicyError>> parse_policy_over(const Policy& base, std::string_view toml_text,
                                                                 std::string_view source_name);

/// The built-in policy file (daemon/engine/default_policy.toml, embedded at build time): every default
/// with its source. default_policy() is this text parsed.
std::string_view default_policy_text() noexcept;

}  // namespace sterifleet::engine
