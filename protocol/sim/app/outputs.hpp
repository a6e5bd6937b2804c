// What a run leaves behind for tests and operators: the sent log (one line per acknowledged
// sequenced message), the injected-violations file (JSON lines) and the summary (counts per type).
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sterifleet/sim/action.hpp"
#include "sterifleet/sim/rules.hpp"

namespace sterifleet::sim {

struct OutputPaths {
  std::string sent_log;
  std::string summary;
  std::string injected;
};

/// Not thread-safe: the driver thread owns it.
class Outputs {
 public:
  /// Opens (truncates) the files that have a path; throws std::runtime_error when one cannot be opened.
  explicit Outputs(OutputPaths paths);

  /// The broker acknowledged `message`.
  void acknowledged(const Publish& message);
  void failed() { ++failed_; }
  void injected(const InjectedViolation& violation);
  /// Writes the summary file (if any) with `extra` merged in; returns the summary.
  nlohmann::ordered_json finish(const nlohmann::ordered_json& extra);

  std::uint64_t acknowledged_count() const { return acknowledged_; }

 private:
  OutputPaths paths_;
  std::ofstream sent_log_;
  std::ofstream injected_;
  std::map<std::string, std::uint64_t> types_;
  std::map<std::string, std::uint64_t> injected_rules_;
  std::uint64_t acknowledged_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t replayed_ = 0;
  std::uint64_t late_ = 0;
  std::uint64_t misattributed_ = 0;
  std::uint64_t online_ = 0;
  std::uint64_t offline_ = 0;
  std::uint64_t shutdown_ = 0;
};

}  // namespace sterifleet::sim
