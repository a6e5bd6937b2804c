// The report's summary, tallied while its rows stream past: sessions and the compliant share, cycles
// valid and invalid, violations by rule and how they were closed, recalls.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "closure.hpp"
#include "sterifleet/report/format.hpp"
#include "stored_row.hpp"

namespace sterifleet::report {

struct RuleTally {
  std::int64_t opened = 0;
  std::array<std::int64_t, std::size(closure_kinds)> closed{};  ///< by closure_kinds
};

class Summary {
 public:
  /// A recall report's summary states its recall only.
  explicit Summary(Kind kind = Kind::compliance) : kind_(kind) {}

  void add_session(const StoredRow& row);
  void add_cycle(const StoredRow& row);
  void add_violation(const nlohmann::json& alert, const Closure& closure);
  void add_recall(const nlohmann::json& recall);

  nlohmann::json to_json() const;
  /// (metric, value) in a fixed order: the CSV summary section and the PDF's first table.
  std::vector<std::pair<std::string, std::string>> metrics() const;
  /// Share of sessions that were compliant, none without sessions.
  std::optional<double> compliant_share() const;
  const std::map<std::string, RuleTally>& rules() const { return rules_; }

  std::int64_t sessions() const { return sessions_; }
  std::int64_t cycles() const { return cycles_; }
  std::int64_t violations() const { return violations_; }
  std::int64_t recalls() const { return recalls_; }

 private:
  Kind kind_;
  std::int64_t sessions_ = 0;
  std::int64_t compliant_ = 0;
  std::int64_t first_use_ = 0;
  std::int64_t cycles_ = 0;
  std::map<std::string, std::int64_t> cycle_states_{{"valid", 0}, {"awaiting_bi", 0}, {"invalid", 0}, {"recalled", 0}};
  std::int64_t violations_ = 0;
  std::map<std::string, RuleTally> rules_;
  std::int64_t recalls_ = 0;
  std::int64_t recalled_cycles_ = 0;
  std::int64_t recalled_devices_ = 0;
  std::int64_t recalled_sessions_ = 0;
};

/// "0.9873": four decimals, so a reader's spreadsheet and ours agree.
std::string format_share(double share);

}  // namespace sterifleet::report
