// The simulator's promise, checked the same way whoever raised the alerts (the engine in a loop, or the
// daemon behind a real broker): each injected violation opens exactly one alert of its (rule, subject),
// nothing else opens, and nothing is withdrawn (no alert that late data proved wrong).
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace sterifleet::testing {

using AlertKey = std::pair<std::string, std::string>;  ///< rule id, subject

struct AlertTally {
  std::map<AlertKey, int> opened;  ///< times each (rule, subject) opened (reopenings included)
  std::set<AlertKey> withdrawn;
};

/// Every way `alerts` breaks the promise for `injected`, one sentence each; empty when it holds.
std::vector<std::string> injection_mismatches(const std::vector<AlertKey>& injected, const AlertTally& alerts);

/// The (rule, subject) of each line of a simulator --injected file; throws std::runtime_error on a bad line.
std::vector<AlertKey> read_injected(const std::filesystem::path& file);

}  // namespace sterifleet::testing
