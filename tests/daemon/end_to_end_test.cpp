// A simulated week of a small clinic chain with injected violations, through a real Mosquitto into the
// real daemon, commands (lock, replay, rebirth) going back to the simulated devices: the alerts the
// daemon raised, read through its HTTP API, are exactly the injected violations, every message the
// simulator sent is stored exactly once, and `sterifleet replay` of `sterifleet export` judges the week
// exactly as the daemon did.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/injection_check.hpp"
#include "sterifleet/testing/message_keys.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/simulator.hpp"
#include "sterifleet/testing/subprocess.hpp"

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

/// Runs the command line tool to its end with its standard output in `out`; its exit status.
int run_cli(std::vector<std::string> args, const std::filesystem::path& out) {
  args.insert(args.begin(), STERIFLEET_CLI_PATH);
  Subprocess cli(std::move(args), out, out.string() + ".err");
  const auto status = cli.wait(std::chrono::minutes{5});
  EXPECT_TRUE(status) << "timed out: " << cli.stderr_text();
  EXPECT_EQ(status.value_or(-1), 0) << cli.stderr_text();
  return status.value_or(-1);
}

std::vector<nlohmann::json> json_lines(const std::filesystem::path& file) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(read_file(file));
  for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

using Verdicts = std::set<std::tuple<std::string, std::string, std::string>>;

/// What the daemon judged, as its API shows it: (rule, subject, state) of every alert that counts, and
/// (cycle, state) of every cycle.
std::pair<Verdicts, Verdicts> daemon_verdicts(Daemon& daemon, const std::vector<nlohmann::json>& alerts) {
  Verdicts out_alerts;
  for (const auto& a : alerts) {
    if (a.at("state") != "withdrawn") out_alerts.emplace(a.at("rule"), a.at("subject"), a.at("state"));
  }
  Verdicts cycles;
  for (const auto& c : daemon.all_items("/api/v1/cycles")) cycles.emplace("cycle", c.at("key"), c.at("state"));
  return {out_alerts, cycles};
}

std::pair<Verdicts, Verdicts> replay_verdicts(const std::vector<nlohmann::json>& lines) {
  Verdicts alerts;
  Verdicts cycles;
  for (const auto& line : lines) {
    if (line.at("kind") == "alert") alerts.emplace(line.at("rule"), line.at("subject"), line.at("state"));
    if (line.at("kind") == "cycle") cycles.emplace("cycle", line.at("cycle"), line.at("state"));
  }
  return {alerts, cycles};
}

std::string difference(const Verdicts& expected, const Verdicts& actual) {
  std::string out;
  for (const auto& [a, b, c] : expected) {
    if (!actual.contains({a, b, c})) out += "  only in the daemon: " + a + " " + b + " " + c + "\n";
  }
  for (const auto& [a, b, c] : actual) {
    if (!expected.contains({a, b, c})) out += "  only in the replay: " + a + " " + b + " " + c + "\n";
  }
  return out;
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
  // The only messages to quarantine are the injected payloads that name another device than their
  // topic, and the injected session starts whose cartridge expiry is not a date.
  const auto injected_of = [&](const std::string& rule) {
    return std::count_if(injected.begin(), injected.end(), [&](const AlertKey& key) { return key.first == rule; });
  };
  const auto mismatches = injected_of("device.identity_mismatch");
  const auto rejected = injected_of("device.event_rejected");
  EXPECT_GT(rejected, 0);
  EXPECT_GT(injected_of("device.protocol_drift"), 0);
  const auto quarantine = daemon.get_json("/api/v1/quarantine/counts");
  EXPECT_EQ(quarantine.at("total"), mismatches + rejected) << quarantine.dump();
  EXPECT_EQ(quarantine.at("by_reason").value("identity_mismatch", 0), mismatches) << quarantine.dump();
  EXPECT_EQ(quarantine.at("by_reason").value("bad_timestamp", 0), rejected) << quarantine.dump();
  EXPECT_TRUE(daemon.running()) << daemon.log();

  // The week exported and replayed offline: the same alerts in the same states, the same cycle verdicts.
  const auto [daemon_alerts, daemon_cycles] = daemon_verdicts(daemon, alerts);
  ASSERT_EQ(run_cli({"export", "--db", daemon.db().string(), "--format", "jsonl"}, sim.file("traffic.jsonl")), 0);
  ASSERT_EQ(run_cli({"replay", sim.file("traffic.jsonl").string()}, sim.file("replayed.jsonl")), 0);
  const auto [replay_alerts, replay_cycles] = replay_verdicts(json_lines(sim.file("replayed.jsonl")));
  EXPECT_GT(daemon_alerts.size(), injected.size() / 2);
  EXPECT_EQ(daemon_alerts, replay_alerts) << difference(daemon_alerts, replay_alerts);
  EXPECT_GT(daemon_cycles.size(), 100U);
  EXPECT_EQ(daemon_cycles, replay_cycles) << difference(daemon_cycles, replay_cycles);
}

}  // namespace
}  // namespace sterifleet::testing
