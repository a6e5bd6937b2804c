// A simulated week of a small clinic chain with injected violations, through a real Mosquitto into the
// real daemon, commands (lock, replay, rebirth) going back to the simulated devices: the alerts the
// daemon raised, read through its HTTP API, are exactly the injected violations, and every message the
// simulator sent is stored exactly once.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/injection_check.hpp"
#include "sterifleet/testing/message_keys.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/simulator.hpp"

namespace sterifleet::testing {
namespace {

using namespace std::chrono_literals;

AlertTally tally(const std::vector<nlohmann::json>& alerts) {
  AlertTally out;
  for (const auto& alert : alerts) {
    const AlertKey key{alert.at("rule").get<std::string>(), alert.at("subject").get<std::string>()};
    ++out.opened[key];
    if (alert.at("state") == "withdrawn") out.withdrawn.insert(key);
  }
  return out;
}

/// Reopenings happen in place (same alert id): count them from the transition counters.
double reopenings(const std::string& metrics) {
  double total = 0;
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("sterifleet_alert_transitions_total{") &&
        line.find("transition=\"reopened\"") != std::string::npos) {
      total += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return total;
}

TEST(DaemonEndToEnd, SimulatedWeekWithViolations_TheAlertsAreExactlyTheInjectedViolations) {
  Mosquitto broker;
  // The week is replayed in minutes, ending at last midnight: the engine's in-memory history must reach
  // back to its start, or compaction would forget the first days while their messages still arrive.
  Daemon daemon({STERIFLEETD_PATH, broker.url(), {{"engine.retention_hours", "720"}, {"log.level", "\"warn\""}}});
  Simulator sim(STERIFLEET_SIM_PATH, broker.url(), {"--clinics",     "3",
                                                    "--pens",        "3",
                                                    "--sterilizers", "2",
                                                    "--days",        "7",
                                                    "--speed",       "0",
                                                    "--seed",        "2026",
                                                    "--start",       utc_days_ago(8),
                                                    "--violations",  "0.1",
                                                    "--injected",    "{dir}/injected.jsonl",
                                                    "--sent-log",    "{dir}/sent.log",
                                                    "--log-level",   "warn"});
  ASSERT_EQ(sim.finish(300s), 0) << sim.logs();

  const auto sent = read_sent_log(sim.file("sent.log"));
  ASSERT_GT(sent.size(), 10'000U);
  const auto problems = wait_until_stored(daemon.db(), sent, 120s);
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front();

  const auto injected = read_injected(sim.file("injected.jsonl"));
  ASSERT_GT(injected.size(), 10U);
  const auto alerts = daemon.all_items("/api/v1/alerts");
  for (const auto& mismatch : injection_mismatches(injected, tally(alerts))) ADD_FAILURE() << mismatch;
  EXPECT_EQ(reopenings(daemon.metrics()), 0);
  // The only messages to quarantine are the injected payloads that name another device than their topic.
  const auto mismatches = std::count_if(injected.begin(), injected.end(),
                                        [](const AlertKey& key) { return key.first == "device.identity_mismatch"; });
  const auto quarantine = daemon.get_json("/api/v1/quarantine/counts");
  EXPECT_EQ(quarantine.at("total"), mismatches) << quarantine.dump();
  EXPECT_EQ(quarantine.at("by_reason").value("identity_mismatch", 0), mismatches) << quarantine.dump();
  EXPECT_TRUE(daemon.running()) << daemon.log();
}

}  // namespace
}  // namespace sterifleet::testing
