// An independent, deliberately simple re-statement of the compliance rules of daemon/engine/README.md,
// run over a simulator action stream. It says which alerts a daemon with the default policy would open,
// how many times each (rule, subject) would open, and which structural promises of the protocol broke.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sterifleet/sim/action.hpp"

namespace sterifleet::sim::testing {

struct OracleResult {
  /// How many times each (rule id, subject) alert opened.
  std::map<std::pair<std::string, std::string>, int> opened;
  /// Broken structural promises: undecodable payloads, seq/boot misuse, time going backwards, ...
  std::vector<std::string> problems;
  std::map<std::string, int> types;  ///< first-sent sequenced messages per type
  int status_online = 0;
  int status_offline = 0;
  int status_shutdown = 0;
  int sessions = 0;
  int cycles = 0;
  int load_items = 0;
};

struct OracleOptions {
  std::chrono::hours shelf_life{0};
  /// Stricter than the alert thresholds: a compliant day keeps batteries at or above this.
  double min_battery = 25.0;
};

OracleResult check(const std::vector<Action>& actions, const OracleOptions& options = {});

}  // namespace sterifleet::sim::testing
