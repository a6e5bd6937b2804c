// sterifleet-sim against a real Mosquitto: a real subscriber decodes everything that arrives; commands
// published on a device's cmd topic are obeyed; heartbeats are honoured in wall time; SIGINT shuts the
// fleet down properly; flood mode.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/command.hpp"
#include "sterifleet/protocol/topic.hpp"
#include "sterifleet/sim/scenario.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/mqtt_recorder.hpp"

namespace sterifleet::sim::testing {
namespace {

using namespace std::chrono_literals;
using sterifleet::testing::Mosquitto;
using sterifleet::testing::MqttRecorder;
using sterifleet::testing::Recorded;
using sterifleet::testing::Subprocess;
using sterifleet::testing::TempDir;
using Clock = std::chrono::steady_clock;

/// Midnight UTC `days` days ago: a run that starts there has the same shape whatever the time of day.
protocol::Timestamp midnight_ago(int days) {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return std::chrono::time_point_cast<std::chrono::milliseconds>(today - std::chrono::days{days});
}

std::optional<protocol::Inbound> decode_now(const Recorded& r) {
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  auto decoded = protocol::decode(r.topic, r.payload, {now});
  if (!decoded) return std::nullopt;
  return decoded.value();
}

/// sterifleet-sim in its own temp dir; "{dir}" in an argument stands for that dir.
class SimProcess {
 public:
  SimProcess(const Mosquitto& broker, std::vector<std::string> args) {
    std::vector<std::string> argv{STERIFLEET_SIM_PATH, "--broker", broker.url(), "--state-dir",
                                  (dir_.path() / "state").string()};
    for (auto& arg : args) {
      if (const auto at = arg.find("{dir}"); at != std::string::npos) arg.replace(at, 5, dir_.path().string());
      argv.push_back(arg);
    }
    process_ = std::make_unique<Subprocess>(argv, dir_.path() / "stdout", dir_.path() / "stderr");
  }
  Subprocess& process() { return *process_; }
  std::filesystem::path file(const std::string& name) const { return dir_.path() / name; }
  std::string logs() const { return process_->stderr_text(); }
  /// Exit status, or -1 on timeout (then killed).
  int finish(std::chrono::milliseconds timeout) {
    const auto status = process_->wait(timeout);
    if (!status) process_->kill();
    return status.value_or(-1);
  }

 private:
  TempDir dir_{"sterifleet-sim-run"};
  std::unique_ptr<Subprocess> process_;
};

std::vector<std::string> lines(const std::filesystem::path& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string key_of(const protocol::DeviceMessage& m) {
  return m.clinic.str() + " " + m.envelope.device.str() + " " + std::to_string(m.envelope.boot) + " " +
         std::to_string(m.envelope.seq) + " " + std::string(protocol::type_name(m.body));
}

/// The decoded device message, if `r` is one (by value: callers pass temporaries).
std::optional<protocol::DeviceMessage> message_of(const Recorded& r) {
  auto in = decode_now(r);
  if (!in || !std::holds_alternative<protocol::DeviceMessage>(*in)) return std::nullopt;
  return std::get<protocol::DeviceMessage>(std::move(*in));
}

TEST(SimIntegration, TwoDays_EveryMessageTypeArrivesWellFormed_AndMatchesTheScenario) {
  Mosquitto broker;
  MqttRecorder recorder(broker.url(), "sterifleet/v1/#");
  const auto start = midnight_ago(2);
  SimProcess sim(broker, {"--clinics",     "1",
                          "--pens",        "2",
                          "--sterilizers", "1",
                          "--days",        "2",
                          "--speed",       "0",
                          "--seed",        "7",
                          "--start",       protocol::format_timestamp(start),
                          "--sent-log",    "{dir}/sent.log",
                          "--summary",     "{dir}/summary.json",
                          "--log-level",   "warn"});
  ASSERT_EQ(sim.finish(180s), 0) << sim.logs();
  const auto sent = lines(sim.file("sent.log"));
  ASSERT_GT(sent.size(), 1000U);
  ASSERT_TRUE(recorder.wait_for(
      [&](const std::vector<Recorded>& all) {
        std::size_t sequenced = 0;
        for (const auto& r : all) sequenced += r.topic.ends_with("/status") ? 0U : 1U;
        return sequenced >= sent.size();
      },
      20s));

  std::map<std::string, int> types;
  std::set<std::string> received;
  std::map<std::string, std::string> payloads;  // key -> payload
  int online = 0;
  int shutdown = 0;
  for (const auto& r : recorder.messages()) {
    const auto decoded = decode_now(r);
    ASSERT_TRUE(decoded.has_value()) << r.topic << " " << r.payload;
    if (const auto* status = std::get_if<protocol::StatusMessage>(&*decoded)) {
      online += status->online ? 1 : 0;
      shutdown += status->shutdown ? 1 : 0;
      continue;
    }
    const auto& message = std::get<protocol::DeviceMessage>(*decoded);
    ++types[std::string(protocol::type_name(message.body))];
    received.insert(key_of(message));
    payloads[key_of(message)] = r.payload;
  }
  for (const auto* type : {"birth", "telemetry", "session.start", "session.end", "cartridge.insert", "cartridge.remove",
                           "fault", "cycle.complete", "bi.result", "test.bowie_dick"}) {
    EXPECT_GT(types[type], 0) << type;
  }
  EXPECT_GT(online, 0);
  EXPECT_GT(shutdown, 0);
  // Each message the simulator logged as sent arrived, and nothing else.
  EXPECT_EQ(received.size(), sent.size());
  for (const auto& line : sent) EXPECT_TRUE(received.contains(line)) << line;

  // Without commands the wire carries exactly the pure scenario's stream, byte for byte.
  ScenarioConfig config;
  config.clinics = 1;
  config.pens = 2;
  config.sterilizers = 1;
  config.seed = 7;
  config.start = start;
  config.end = start + std::chrono::hours{48};
  config.speed = 0;
  config.heartbeat = default_heartbeat(0);
  Scenario scenario(config);
  std::size_t expected = 0;
  while (auto action = scenario.next()) {
    const auto* p = std::get_if<Publish>(&action->what);
    if (p == nullptr || !p->key || !p->first_send) continue;
    ++expected;
    const auto key = p->clinic.str() + " " + p->device.str() + " " + std::to_string(p->key->boot) + " " +
                     std::to_string(p->key->seq) + " " + p->key->type;
    EXPECT_EQ(payloads[key], p->payload) << key;
  }
  EXPECT_EQ(expected, received.size());

  const auto summary = nlohmann::json::parse(sterifleet::testing::read_file(sim.file("summary.json")));
  EXPECT_EQ(summary["messages"]["telemetry"].get<int>(), types["telemetry"]);
}

/// The newest ts the recorder has from `device`.
protocol::Timestamp newest_ts(const MqttRecorder& recorder, const std::string& device) {
  protocol::Timestamp newest{};
  for (const auto& r : recorder.messages()) {
    const auto m = message_of(r);
    if (m.has_value() && m->envelope.device.str() == device) newest = std::max(newest, m->envelope.ts);
  }
  return newest;
}

std::string command_json(const std::string& id, const protocol::CommandBody& body) {
  return protocol::encode_command(
      {protocol::CommandId{id},
       std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()), body});
}

bool has(const std::vector<Recorded>& all,
         const std::function<bool(const protocol::DeviceMessage&, const Recorded&)>& match) {
  for (const auto& r : all) {
    if (const auto m = message_of(r); m.has_value() && match(*m, r)) return true;
  }
  return false;
}

/// Waits until `devices` devices have said goodbye (a shutdown status): the last messages of a finished
/// run may still be on their way from the broker.
bool wait_for_shutdown(MqttRecorder& recorder, std::size_t devices) {
  return recorder.wait_for(
      [&](const std::vector<Recorded>& all) {
        std::set<std::string> gone;
        for (const auto& r : all) {
          if (!r.topic.ends_with("/status")) continue;
          const auto decoded = decode_now(r);
          const auto* status = decoded ? std::get_if<protocol::StatusMessage>(&*decoded) : nullptr;
          if (status != nullptr && status->shutdown) gone.insert(status->device.str());
        }
        return gone.size() >= devices;
      },
      10s);
}

TEST(SimIntegration, Commands_DevicesObeyLockUnlockReplayRebirthAndRejectMalformed) {
  Mosquitto broker;
  MqttRecorder recorder(broker.url(), "sterifleet/v1/#");
  const auto start = midnight_ago(1) + 7h;
  SimProcess sim(broker, {"--clinics", "1", "--pens", "2", "--sterilizers", "1", "--days", "0.4", "--speed", "1200",
                          "--seed", "3", "--start", protocol::format_timestamp(start), "--log-level", "info"});
  const std::vector<std::string> pens{"C01-PEN-01", "C01-PEN-02"};
  const auto cmd = [](const std::string& device) { return "sterifleet/v1/C01/" + device + "/cmd"; };

  // Lock both pens once treatments are under way.
  ASSERT_TRUE(recorder.wait_for(
      [&](const auto& all) {
        return has(all, [](const auto& m, const auto&) { return protocol::type_name(m.body) == "session.start"; });
      },
      60s))
      << sim.logs();
  const auto locked_from = std::max(newest_ts(recorder, pens[0]), newest_ts(recorder, pens[1]));
  for (const auto& pen : pens) recorder.publish(cmd(pen), command_json("lock-" + pen, protocol::Lock{"test"}));

  // Replay, rebirth and a malformed command on the first pen.
  const auto boot_of = [&](const std::string& device) {
    std::uint32_t boot = 0;
    for (const auto& r : recorder.messages()) {
      if (const auto m = message_of(r); m.has_value() && m->envelope.device.str() == device) {
        boot = m->envelope.boot;
      }
    }
    return boot;
  };
  const auto boot = boot_of(pens[0]);
  const auto before_replay = recorder.size();
  recorder.publish(cmd(pens[0]), command_json("replay-1", protocol::Replay{boot, 2, 4}));
  recorder.publish(cmd(pens[0]), command_json("rebirth-1", protocol::Rebirth{}));
  recorder.publish(cmd(pens[0]), R"({"v":1,"cmd":"explode","id":"bad-1","ts":"2026-01-01T00:00:00Z"})");
  ASSERT_TRUE(recorder.wait_for(
      [&](const auto& all) {
        std::set<std::uint64_t> replayed;
        bool rebirth = false;
        bool rejected = false;
        for (std::size_t i = before_replay; i < all.size(); ++i) {
          const auto m = message_of(all[i]);
          if (!m || m->envelope.device.str() != pens[0]) continue;
          if (m->envelope.boot == boot && m->envelope.seq >= 2 && m->envelope.seq <= 4)
            replayed.insert(m->envelope.seq);
          if (std::holds_alternative<protocol::Birth>(m->body) && m->envelope.seq > 1) rebirth = true;
          if (const auto* f = std::get_if<protocol::Fault>(&m->body); f != nullptr && f->code.str() == "cmd.rejected") {
            rejected = true;
          }
        }
        return replayed.size() == 3 && rebirth && rejected;
      },
      20s))
      << sim.logs();
  // The replayed messages are byte-identical to the originals.
  std::map<std::uint64_t, std::set<std::string>> copies;
  for (const auto& r : recorder.messages()) {
    if (const auto m = message_of(r); m.has_value() && m->envelope.device.str() == pens[0] &&
                                      m->envelope.boot == boot && m->envelope.seq <= 4 && m->envelope.seq >= 2) {
      copies[m->envelope.seq].insert(r.payload);
    }
  }
  for (const auto& [seq, payloads] : copies) EXPECT_EQ(payloads.size(), 1U) << "seq " << seq;

  // Two simulated hours locked (6 s of wall time at this speed), then unlocked.
  std::map<std::string, protocol::Timestamp> newest;
  std::size_t seen = 0;
  ASSERT_TRUE(recorder.wait_for(
      [&](const auto& all) {
        for (; seen < all.size(); ++seen) {
          if (const auto m = message_of(all[seen]); m.has_value()) {
            auto& ts = newest[m->envelope.device.str()];
            ts = std::max(ts, m->envelope.ts);
          }
        }
        return std::min(newest[pens[0]], newest[pens[1]]) >= locked_from + 2h;
      },
      60s))
      << sim.logs();
  const auto locked_until = std::min(newest[pens[0]], newest[pens[1]]);
  for (const auto& pen : pens) recorder.publish(cmd(pen), command_json("unlock-" + pen, protocol::Unlock{"test"}));
  ASSERT_EQ(sim.finish(120s), 0) << sim.logs();
  ASSERT_GT(locked_until - locked_from, 90min);

  int during = 0;
  int after = 0;
  for (const auto& r : recorder.messages()) {
    const auto m = message_of(r);
    if (!m || !std::holds_alternative<protocol::SessionStart>(m->body)) continue;
    const auto ts = m->envelope.ts;
    if (ts > locked_from + 5min && ts <= locked_until) ++during;
    if (ts > locked_until) ++after;
  }
  EXPECT_EQ(during, 0) << "a locked pen started a session";
  EXPECT_GT(after, 0) << "sessions resume after unlock";
  EXPECT_NE(sim.logs().find("malformed command rejected"), std::string::npos);
}

TEST(SimIntegration, Heartbeats_HonouredInWallTime_AndInjectedOfflineOutlastsTwoHeartbeats) {
  Mosquitto broker;
  MqttRecorder recorder(broker.url(), "sterifleet/v1/#");
  const auto start = midnight_ago(1) + 7h;
  SimProcess sim(broker, {"--clinics",
                          "1",
                          "--pens",
                          "2",
                          "--sterilizers",
                          "1",
                          "--days",
                          "0.5",
                          "--speed",
                          "0",
                          "--heartbeat",
                          "10",
                          "--seed",
                          "5",
                          "--start",
                          protocol::format_timestamp(start),
                          "--violations",
                          "1",
                          "--violation-kinds",
                          "device.offline",
                          "--injected",
                          "{dir}/injected.jsonl",
                          "--log-level",
                          "warn"});
  ASSERT_EQ(sim.finish(240s), 0) << sim.logs();
  ASSERT_TRUE(wait_for_shutdown(recorder, 3));
  std::set<std::string> injected;
  for (const auto& line : lines(sim.file("injected.jsonl"))) {
    const auto json = nlohmann::json::parse(line);
    EXPECT_EQ(json["rule"], "device.offline");
    injected.insert(json["device"].get<std::string>());
  }
  ASSERT_FALSE(injected.empty());

  // Per pen, in arrival order: wall gaps while online, and how long each drop lasted.
  struct Presence {
    bool online = false;
    Clock::time_point last;
    Clock::time_point dropped;
  };
  std::map<std::string, Presence> pens;
  std::map<std::string, std::vector<double>> drops;  // seconds away, per device
  double worst_gap = 0;
  for (const auto& r : recorder.messages()) {
    const auto topic = protocol::parse_topic(r.topic);
    ASSERT_TRUE(topic);
    const auto& device = topic->device.str();
    if (device.find("PEN") == std::string::npos) continue;
    auto& p = pens[device];
    if (topic->channel == protocol::Channel::status) {
      const auto status = std::get<protocol::StatusMessage>(*decode_now(r));
      if (status.online && !p.online && p.dropped != Clock::time_point{}) {
        drops[device].push_back(std::chrono::duration<double>(r.arrived - p.dropped).count());
        p.dropped = {};
      }
      if (!status.online && !status.shutdown) p.dropped = r.arrived;
      p.online = status.online;
      p.last = r.arrived;
      continue;
    }
    if (p.online) worst_gap = std::max(worst_gap, std::chrono::duration<double>(r.arrived - p.last).count());
    p.last = r.arrived;
  }
  EXPECT_LT(worst_gap, 10.0 / 3.0) << "an online pen was silent for too long";
  for (const auto& [device, seconds] : drops) {
    for (const double away : seconds) {
      if (injected.contains(device) && away > 10.0) {
        EXPECT_GT(away, 20.0) << device;
      } else {
        EXPECT_LT(away, 5.0) << device << " short drop";
      }
    }
  }
  for (const auto& device : injected) {
    ASSERT_TRUE(drops.contains(device));
    EXPECT_GT(*std::max_element(drops[device].begin(), drops[device].end()), 20.0) << device;
  }
}

TEST(SimIntegration, FollowThenSigint_EveryDeviceShutsDownProperly) {
  Mosquitto broker;
  MqttRecorder recorder(broker.url(), "sterifleet/v1/#");
  const auto start = midnight_ago(1) + 7h;
  SimProcess sim(
      broker, {"--clinics", "1", "--pens", "2", "--sterilizers", "1", "--days", "0.2", "--speed", "0", "--seed", "11",
               "--start", protocol::format_timestamp(start), "--follow", "--log-level", "info"});
  // After the fast-forward the pens announce the real-time heartbeat (240 s at speed 1).
  ASSERT_TRUE(recorder.wait_for(
      [&](const auto& all) {
        return has(all, [](const auto& m, const auto&) {
          const auto* birth = std::get_if<protocol::Birth>(&m.body);
          return birth != nullptr && birth->heartbeat && birth->heartbeat->count() == 240;
        });
      },
      60s))
      << sim.logs();
  std::this_thread::sleep_for(1s);
  sim.process().signal(SIGINT);
  ASSERT_EQ(sim.finish(60s), 0) << sim.logs();
  ASSERT_TRUE(wait_for_shutdown(recorder, 3));
  std::map<std::string, protocol::StatusMessage> last_status;
  int starts = 0;
  int ends = 0;
  for (const auto& r : recorder.messages()) {
    const auto decoded = decode_now(r);
    ASSERT_TRUE(decoded) << r.payload;
    if (const auto* s = std::get_if<protocol::StatusMessage>(&*decoded)) last_status[s->device.str()] = *s;
    if (const auto* m = std::get_if<protocol::DeviceMessage>(&*decoded)) {
      starts += std::holds_alternative<protocol::SessionStart>(m->body) ? 1 : 0;
      ends += std::holds_alternative<protocol::SessionEnd>(m->body) ? 1 : 0;
    }
  }
  ASSERT_EQ(last_status.size(), 3U);
  for (const auto& [device, status] : last_status) {
    EXPECT_FALSE(status.online) << device;
    EXPECT_TRUE(status.shutdown) << device;
  }
  EXPECT_EQ(starts, ends) << "running sessions end before shutdown";
}

TEST(SimIntegration, Flood_PublishesValidSequencedMessagesAndReportsLatency) {
  Mosquitto broker;
  MqttRecorder recorder(broker.url(), "sterifleet/v1/#");
  SimProcess sim(broker, {"--flood", "0", "--flood-count", "3000", "--publishers", "3", "--flood-devices", "30",
                          "--sent-log", "{dir}/sent.log", "--log-level", "warn"});
  ASSERT_EQ(sim.finish(60s), 0) << sim.logs();
  const auto summary = nlohmann::json::parse(sim.process().stdout_text());
  EXPECT_EQ(summary["messages"].get<int>(), 3000);
  EXPECT_GT(summary["rate"].get<double>(), 0.0);
  EXPECT_GE(summary["ack_latency_ms"]["p99"].get<double>(), summary["ack_latency_ms"]["p50"].get<double>());
  ASSERT_TRUE(recorder.wait_for([](const auto& all) { return all.size() >= 3000; }, 20s));
  std::map<std::string, std::uint64_t> last_seq;
  for (const auto& r : recorder.messages()) {
    const auto m = message_of(r);
    ASSERT_TRUE(m.has_value()) << r.payload;
    auto& last = last_seq[m->envelope.device.str()];
    EXPECT_EQ(m->envelope.seq, last + 1) << "in order, no gaps, per device";
    if (m->envelope.seq == 1) {
      EXPECT_TRUE(std::holds_alternative<protocol::Birth>(m->body));
    }
    last = m->envelope.seq;
  }
  EXPECT_EQ(last_seq.size(), 30U);
  EXPECT_EQ(lines(sim.file("sent.log")).size(), 3000U);
}

}  // namespace
}  // namespace sterifleet::sim::testing
