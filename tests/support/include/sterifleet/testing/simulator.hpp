// sterifleet-sim as a subprocess for integration tests: a fresh state dir (boot counters) and its output
// files in a temp dir of its own, a bounded wait for the end of the run.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::testing {

/// Not thread-safe; start it from the test's main thread (see Subprocess).
class Simulator {
 public:
  /// Starts `binary --broker <broker_url> --state-dir <dir>/state <args...>`; "{dir}" in an argument
  /// stands for the simulator's temp dir (e.g. "{dir}/sent.log").
  Simulator(const std::filesystem::path& binary, const std::string& broker_url, std::vector<std::string> args);

  Subprocess& process() { return *process_; }
  std::filesystem::path file(const std::string& name) const { return dir_.path() / name; }
  std::string logs() const { return process_->stderr_text(); }
  /// The exit status, or -1 when it did not end within `timeout` (it is killed then).
  int finish(std::chrono::milliseconds timeout);

 private:
  TempDir dir_{"sterifleet-sim-run"};
  std::unique_ptr<Subprocess> process_;
};

/// `hour`:00 UTC of the day `days` days ago, as an RFC 3339 timestamp (for --start): a run starting
/// there has the same shape whatever the time of day the test runs.
std::string utc_days_ago(int days, int hour = 0);

}  // namespace sterifleet::testing
