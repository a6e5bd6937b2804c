// sterifleet-sim's command-line promises against a real Mosquitto that the other integration tests do not
// exercise: boot counters persisted in --state-dir across runs, --flood at a fixed rate, an --injected
// file that lists exactly what the scenario injected, every kind but device.offline (which costs 25 wall
// seconds per pen; SimIntegration.Heartbeats_* covers it through the binary), and a --cert-dir that
// lacks a device's certificate.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/sim/rules.hpp"
#include "sterifleet/sim/scenario.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/mqtt_recorder.hpp"
#include "sterifleet/testing/simulator.hpp"

namespace sterifleet::sim::testing {
namespace {

using namespace std::chrono_literals;
using sterifleet::testing::Mosquitto;
using sterifleet::testing::MqttRecorder;
using sterifleet::testing::Simulator;
using sterifleet::testing::Subprocess;
using sterifleet::testing::TempDir;
using sterifleet::testing::utc_days_ago;

std::vector<std::string> lines(const std::filesystem::path& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// Boot of each birth with seq 1, per device, in arrival order.
std::map<std::string, std::vector<std::uint32_t>> first_births(const MqttRecorder& recorder) {
  std::map<std::string, std::vector<std::uint32_t>> out;
  for (const auto& r : recorder.messages()) {
    const auto decoded = protocol::decode(r.topic, r.payload, {protocol::Timestamp::max() - 24h * 365 * 100});
    if (!decoded) continue;
    const protocol::Inbound inbound = decoded.value();
    const auto* m = std::get_if<protocol::DeviceMessage>(&inbound);
    if (m != nullptr && std::holds_alternative<protocol::Birth>(m->body) && m->envelope.seq == 1) {
      out[m->envelope.device.str()].push_back(m->envelope.boot);
    }
  }
  return out;
}

TEST(SimOptions, StateDir_ASecondRunContinuesEveryDevicesBootCounterAndSeqRestartsAtOne) {
  Mosquitto broker;
  TempDir dir("sterifleet-sim-state");
  const auto run = [&](int days_ago, const std::string& name) {
    MqttRecorder recorder(broker.url(), "sterifleet/v1/#");
    // 07:00 to 13:00 UTC: one morning power-up per device.
    Subprocess sim({STERIFLEET_SIM_PATH,
                    "--broker",
                    broker.url(),
                    "--state-dir",
                    (dir.path() / "state").string(),
                    "--clinics",
                    "1",
                    "--pens",
                    "2",
                    "--sterilizers",
                    "1",
                    "--days",
                    "0.25",
                    "--speed",
                    "0",
                    "--seed",
                    "4",
                    "--start",
                    utc_days_ago(days_ago, 7),
                    "--sent-log",
                    (dir.path() / (name + ".sent")).string(),
                    "--log-level",
                    "warn"},
                   dir.path() / (name + ".out"), dir.path() / (name + ".err"));
    const auto status = sim.wait(120s);
    if (!status) sim.kill();
    EXPECT_EQ(status.value_or(-1), 0) << sim.stderr_text();
    const auto sent = lines(dir.path() / (name + ".sent"));
    EXPECT_TRUE(recorder.wait_for(
        [&](const auto& all) {
          std::size_t sequenced = 0;
          for (const auto& r : all) sequenced += r.topic.ends_with("/status") ? 0U : 1U;
          return !sent.empty() && sequenced >= sent.size();
        },
        20s));
    return first_births(recorder);
  };

  const auto first = run(2, "first");
  ASSERT_TRUE(std::filesystem::exists(dir.path() / "state" / "sterifleet-sim.state.json"));
  const auto second = run(1, "second");

  const std::set<std::string> devices{"C01-PEN-01", "C01-PEN-02", "C01-STER-01"};
  ASSERT_EQ(first.size(), devices.size());
  ASSERT_EQ(second.size(), devices.size());
  for (const auto& device : devices) {
    ASSERT_EQ(first.at(device).size(), 1U) << device;
    ASSERT_EQ(second.at(device).size(), 1U) << device;
    EXPECT_EQ(second.at(device).front(), first.at(device).front() + 1) << device << ": the boot counter continues";
  }
  // (device, boot, seq) never repeats across the two runs: the daemon's idempotence key stays unique.
  std::set<std::string> keys;
  for (const auto* name : {"first", "second"}) {
    for (const auto& line : lines(dir.path() / (std::string(name) + ".sent"))) {
      std::istringstream fields(line);
      std::string clinic, device, boot, seq;
      fields >> clinic >> device >> boot >> seq;
      EXPECT_TRUE(keys.insert(device + " " + boot + " " + seq).second) << line;
    }
  }
}

// The demo's simulator: the last hours as fast as the broker takes them, then real time; stopped while
// it waits for the next real-time action, it ends at once, and the next run with --resume starts where
// this one's last message was, so no device's history is told twice.
TEST(SimOptions, FollowThenStopped_EndsAtOnce_AndResumeStartsWhereItEnded) {
  Mosquitto broker;
  TempDir dir("sterifleet-sim-resume");
  const auto state = dir.path() / "state";
  const std::vector<std::string> args{STERIFLEET_SIM_PATH,
                                      "--broker",
                                      broker.url(),
                                      "--state-dir",
                                      state.string(),
                                      "--clinics",
                                      "1",
                                      "--pens",
                                      "1",
                                      "--sterilizers",
                                      "1",
                                      "--days",
                                      "0.05",
                                      "--speed",
                                      "0",
                                      "--follow",
                                      "--resume"};
  Subprocess first(args, dir.path() / "first.out", dir.path() / "first.err");
  std::this_thread::sleep_for(3s);
  first.signal(SIGTERM);
  const auto status = first.wait(10s);
  ASSERT_EQ(status.value_or(-1), 0) << "it waited for the real clock instead of ending: " << first.stderr_text();
  const auto saved = nlohmann::json::parse(std::ifstream(state / "sterifleet-sim.state.json"));
  ASSERT_TRUE(saved.contains("last_end")) << saved.dump();

  Subprocess second(args, dir.path() / "second.out", dir.path() / "second.err");
  std::this_thread::sleep_for(2s);
  second.signal(SIGTERM);
  ASSERT_EQ(second.wait(10s).value_or(-1), 0) << second.stderr_text();
  const auto log = second.stderr_text() + second.stdout_text();
  EXPECT_NE(log.find(saved.at("last_end").get<std::string>() + " to "), std::string::npos) << log;
  EXPECT_EQ(log.find("overlap"), std::string::npos) << log;
}

TEST(SimOptions, FloodAtAFixedRate_NeverRunsAheadOfIt) {
  Mosquitto broker;
  constexpr double rate = 400;
  constexpr int count = 800;
  Simulator sim(STERIFLEET_SIM_PATH, broker.url(),
                {"--flood", "400", "--flood-count", "800", "--publishers", "2", "--flood-devices", "10", "--sent-log",
                 "{dir}/sent.log", "--log-level", "warn"});
  ASSERT_EQ(sim.finish(60s), 0) << sim.logs();
  const auto summary = nlohmann::json::parse(sim.process().stdout_text());
  EXPECT_EQ(summary["messages"].get<int>(), count);
  EXPECT_EQ(summary["failed"].get<int>(), 0);
  // Message k leaves no earlier than k/rate after the start, so the last one at (count - 1)/rate: a lower
  // bound that holds however loaded the machine is.
  EXPECT_GE(summary["seconds"].get<double>(), (count - 1) / rate);
  EXPECT_LE(summary["rate"].get<double>(), rate * count / (count - 1));
  EXPECT_EQ(lines(sim.file("sent.log")).size(), static_cast<std::size_t>(count));
}

TEST(SimOptions, CertDir_ADeviceWithoutItsCertificate_EndsTheRunNamingTheMissingFile) {
  TempDir certs("sterifleet-sim-certs");
  // Nothing listens there: the run must end before any connection is tried.
  Simulator sim(STERIFLEET_SIM_PATH, "ssl://127.0.0.1:1",
                {"--clinics", "1", "--pens", "1", "--sterilizers", "1", "--days", "0.5", "--speed", "0", "--start",
                 utc_days_ago(1), "--cert-dir", certs.path().string()});
  ASSERT_EQ(sim.finish(30s), 1) << sim.logs();
  EXPECT_NE(sim.logs().find("--cert-dir: device C01-"), std::string::npos) << sim.logs();
  EXPECT_NE(sim.logs().find(certs.path().string() + "/C01-"), std::string::npos) << sim.logs();

  // Flood publishers publish for many devices each: one device's certificate cannot be theirs.
  Simulator flood(STERIFLEET_SIM_PATH, "ssl://127.0.0.1:1", {"--flood", "0", "--cert-dir", certs.path().string()});
  EXPECT_NE(flood.finish(30s), 0);
  EXPECT_NE(flood.logs().find("excludes"), std::string::npos) << flood.logs();
}

TEST(SimOptions, InjectedFileAtRateOne_ListsEveryKindExactlyAsTheScenarioInjectsThem) {
  Mosquitto broker;
  const auto start = utc_days_ago(5);
  std::string kinds;
  ScenarioConfig config;
  for (const auto rule : all_rules()) {
    if (rule == Rule::device_offline) continue;
    if (!kinds.empty()) kinds += ',';
    kinds += rule_id(rule);
    config.violations.kinds.insert(rule);
  }
  Simulator sim(STERIFLEET_SIM_PATH, broker.url(),
                {"--clinics",
                 "1",
                 "--pens",
                 "3",
                 "--sterilizers",
                 "1",
                 "--days",
                 "4",
                 "--speed",
                 "0",
                 "--seed",
                 "8",
                 "--start",
                 start,
                 "--violations",
                 "1",
                 "--violation-kinds",
                 kinds,
                 "--shelf-life-hours",
                 "24",
                 "--injected",
                 "{dir}/injected.jsonl",
                 "--log-level",
                 "warn"});
  ASSERT_EQ(sim.finish(240s), 0) << sim.logs();

  // The same options as a pure scenario: without a daemon sending commands, the binary runs exactly it.
  config.clinics = 1;
  config.pens = 3;
  config.sterilizers = 1;
  config.seed = 8;
  config.start = *protocol::parse_timestamp(start);
  config.end = config.start + 24h * 4;
  config.speed = 0;
  config.heartbeat = default_heartbeat(0);
  config.shelf_life = 24h;
  config.violations.rate = 1.0;
  Scenario scenario(config);
  while (scenario.next()) {
  }
  std::vector<std::string> expected;
  std::set<Rule> injected_kinds;
  for (const auto& v : scenario.injected()) {
    expected.push_back(to_json_line(v));
    injected_kinds.insert(v.rule);
  }
  EXPECT_EQ(injected_kinds, config.violations.kinds) << "every kind asked for is injected";
  EXPECT_EQ(lines(sim.file("injected.jsonl")), expected);
}

}  // namespace
}  // namespace sterifleet::sim::testing
