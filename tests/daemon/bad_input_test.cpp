// Messages that break the protocol, sent through a real broker to the real daemon: each is kept in the
// quarantine with its precise reason and raw payload and counted in /metrics; the daemon keeps running
// and still stores a good message sent after them.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sterifleet/protocol/decode_error.hpp"
#include "sterifleet/protocol/time.hpp"
#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/mqtt_recorder.hpp"
#include "sterifleet/testing/sqlite_file.hpp"

namespace sterifleet::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string pen_topic = "sterifleet/v1/C01/PEN-01/";

std::string now_plus(std::chrono::milliseconds offset) {
  return protocol::format_timestamp(
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now() + offset));
}

json envelope(std::uint64_t boot, std::uint64_t seq, const std::string& type, json body) {
  return {{"v", 1},       {"device", "PEN-01"},     {"boot", boot}, {"seq", seq}, {"ts", now_plus(0ms)},
          {"type", type}, {"body", std::move(body)}};
}

json telemetry(std::uint64_t seq) {
  return envelope(5, seq, "telemetry",
                  {{"battery_pct", 80}, {"runtime_s", 1000}, {"strokes", 50000}, {"depth_mm", 0.5}, {"speed", 100}});
}

struct BadMessage {
  std::string what;
  std::string reason;  ///< the quarantine reason the daemon must give
  std::string channel;
  std::string payload;
};

// Each with a sequence number of its own, as a device sends them.
std::vector<BadMessage> bad_messages() {
  auto wrong_type = telemetry(3);
  wrong_type["boot"] = "5";
  auto oversize = telemetry(4);
  oversize["padding"] = std::string(17'000, 'x');  // unknown fields are accepted as drift, but not beyond 16384 bytes
  auto unknown = envelope(5, 5, "session.pause", json::object());
  auto other_device = telemetry(6);
  other_device["device"] = "PEN-02";
  auto older_boot = envelope(4, 1, "birth", {{"kind", "pen"}, {"model", "Dermapen 4"}, {"firmware", "4.2.1"}});
  auto future = telemetry(7);
  future["ts"] = now_plus(24h);
  return {
      {"malformed JSON", std::string(protocol::to_string(protocol::Reason::malformed_json)), "telemetry",
       R"({"v":1,"device":"PEN-01","boot":5,)"},
      {"a string where an integer belongs", std::string(protocol::to_string(protocol::Reason::wrong_type)), "telemetry",
       wrong_type.dump()},
      {"over 16384 bytes", std::string(protocol::to_string(protocol::Reason::payload_too_large)), "telemetry",
       oversize.dump()},
      {"an unknown message type", std::string(protocol::to_string(protocol::Reason::unknown_type)), "event",
       unknown.dump()},
      {"another device than its topic", std::string(protocol::to_string(protocol::Reason::identity_mismatch)),
       "telemetry", other_device.dump()},
      // The engine's refusal (daemon/engine: a boot older than the newest seen means a lost boot counter).
      {"an older boot after a newer one", "sequence_regression", "birth", older_boot.dump()},
      {"a timestamp a day ahead", std::string(protocol::to_string(protocol::Reason::clock_skew)), "telemetry",
       future.dump()},
  };
}

TEST(DaemonBadInput, EachIsQuarantinedWithItsReasonAndCounted_AndAGoodMessageIsStoredAfterwards) {
  Mosquitto broker;
  Daemon daemon({STERIFLEETD_PATH, broker.url()});
  MqttRecorder device(broker.url(), pen_topic + "cmd", "PEN-01");

  device.publish(pen_topic + "birth",
                 envelope(5, 1, "birth", {{"kind", "pen"}, {"model", "Dermapen 4"}, {"firmware", "4.2.1"}}).dump());
  const auto bad = bad_messages();
  for (const auto& message : bad) device.publish(pen_topic + message.channel, message.payload);
  constexpr std::uint64_t good_seq = 8;
  device.publish(pen_topic + "telemetry", telemetry(good_seq).dump());

  // One client, QoS 1, one subscriber: the daemon handles them in this order, so once the last is stored
  // every earlier one has been dealt with.
  const auto stored = [&] {
    return sqlite_integer(daemon.db(), "SELECT count(*) FROM messages WHERE device = 'PEN-01' AND seq IS NOT NULL");
  };
  for (auto deadline = std::chrono::steady_clock::now() + 30s; stored() < 2;) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << daemon.log();
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(sqlite_integer(daemon.db(),
                           "SELECT count(*) FROM messages WHERE device = 'PEN-01' AND boot = 5 AND seq IN (1, 8)"),
            2);
  EXPECT_TRUE(daemon.running());
  EXPECT_EQ(daemon.get("/healthz").status, 200);

  const auto quarantined = daemon.all_items("/api/v1/quarantine");  // newest first
  ASSERT_EQ(quarantined.size(), bad.size()) << json(quarantined).dump(2);
  const auto metrics = daemon.metrics();
  for (std::size_t i = 0; i < bad.size(); ++i) {
    SCOPED_TRACE(bad[i].what);
    const auto& row = quarantined[bad.size() - 1 - i];
    EXPECT_EQ(row.at("reason"), bad[i].reason) << row.dump();
    EXPECT_EQ(row.at("topic"), pen_topic + bad[i].channel);
    EXPECT_EQ(row.at("payload"), bad[i].payload);
    EXPECT_FALSE(row.at("detail").get<std::string>().empty());
    EXPECT_EQ(metric_value(metrics, "sterifleet_messages_quarantined_total", "reason=\"" + bad[i].reason + "\""), 1)
        << metrics;
  }
  const auto counts = daemon.get_json("/api/v1/quarantine/counts");
  EXPECT_EQ(counts.at("total"), bad.size()) << counts.dump();
  EXPECT_EQ(metric_value(metrics, "sterifleet_messages_stored_total", "type=\"telemetry\""), 1) << metrics;

  // The payload naming another device raised its alert on the topic's device.
  const auto alerts = daemon.all_items("/api/v1/alerts?rule=device.identity_mismatch");
  ASSERT_EQ(alerts.size(), 1U);
  EXPECT_EQ(alerts.front().at("subject"), "PEN-01");

  // The event and the birth that could not be judged are critical alerts naming their quarantine id;
  // the rejected telemetry raised none.
  auto rejected = daemon.all_items("/api/v1/alerts?rule=device.event_rejected");
  ASSERT_EQ(rejected.size(), 2U) << json(rejected).dump(2);
  std::sort(rejected.begin(), rejected.end(),
            [](const json& a, const json& b) { return a.at("subject") < b.at("subject"); });
  const auto quarantine_id = [&](const std::string& what) {
    for (std::size_t i = 0; i < bad.size(); ++i) {
      if (bad[i].what == what) return quarantined[bad.size() - 1 - i].at("id").get<std::int64_t>();
    }
    return std::int64_t{0};
  };
  EXPECT_EQ(rejected[0].at("subject"), "PEN-01/4/1");  // the older boot's birth
  EXPECT_EQ(rejected[0].at("trigger"),
            "quarantine:" + std::to_string(quarantine_id("an older boot after a newer one")));
  EXPECT_EQ(rejected[1].at("subject"), "PEN-01/5/5");  // the unknown type
  EXPECT_EQ(rejected[1].at("trigger"), "quarantine:" + std::to_string(quarantine_id("an unknown message type")));
  for (const auto& alert : rejected) {
    EXPECT_EQ(alert.at("severity"), "critical");
    EXPECT_EQ(alert.at("state"), "open");
  }
  EXPECT_NE(rejected[1].at("summary").get<std::string>().find("session.pause"), std::string::npos);
}

// PEN-01 is C01's (its first message came under C01). Its id under C02's topics is quarantined, applied
// to nothing and raises a critical alert in C01, before and after the daemon is killed and restarted.
TEST(DaemonBadInput, AMessageUnderAnotherClinicsTopicsIsQuarantinedWithACriticalAlert_AlsoAfterARestart) {
  Mosquitto broker;
  Daemon daemon({STERIFLEETD_PATH, broker.url()});
  MqttRecorder device(broker.url(), pen_topic + "cmd", "PEN-01");
  const std::string foreign_topic = "sterifleet/v1/C02/PEN-01/telemetry";
  const auto stored = [&] {
    return sqlite_integer(daemon.db(), "SELECT count(*) FROM messages WHERE device = 'PEN-01' AND seq IS NOT NULL");
  };
  const auto wait_stored = [&](std::int64_t count) {
    for (auto deadline = std::chrono::steady_clock::now() + 30s; stored() < count;) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << daemon.log();
      std::this_thread::sleep_for(50ms);
    }
  };

  device.publish(pen_topic + "birth",
                 envelope(5, 1, "birth", {{"kind", "pen"}, {"model", "Dermapen 4"}, {"firmware", "4.2.1"}}).dump());
  device.publish(foreign_topic, telemetry(2).dump());
  device.publish(pen_topic + "telemetry", telemetry(3).dump());
  wait_stored(2);
  const auto quarantined = daemon.all_items("/api/v1/quarantine");
  ASSERT_EQ(quarantined.size(), 1U) << json(quarantined).dump(2);
  EXPECT_EQ(quarantined[0].at("reason"), "clinic_mismatch");
  EXPECT_EQ(quarantined[0].at("topic"), foreign_topic);
  EXPECT_NE(quarantined[0].at("detail").get<std::string>().find("PEN-01 belongs to clinic C01"), std::string::npos);
  EXPECT_EQ(metric_value(daemon.metrics(), "sterifleet_messages_quarantined_total", "reason=\"clinic_mismatch\""), 1);
  EXPECT_EQ(sqlite_integer(daemon.db(), "SELECT count(*) FROM messages WHERE clinic = 'C02'"), 0);
  auto alerts = daemon.all_items("/api/v1/alerts?rule=device.clinic_mismatch");
  ASSERT_EQ(alerts.size(), 1U);
  EXPECT_EQ(alerts[0].at("clinic"), "C01");
  EXPECT_EQ(alerts[0].at("subject"), "PEN-01");
  EXPECT_EQ(alerts[0].at("severity"), "critical");
  EXPECT_EQ(alerts[0].at("trigger"), "quarantine:" + std::to_string(quarantined[0].at("id").get<std::int64_t>()));

  daemon.kill();
  daemon.start();
  device.publish(foreign_topic, telemetry(4).dump());
  device.publish(pen_topic + "telemetry", telemetry(5).dump());
  wait_stored(3);
  EXPECT_EQ(daemon.all_items("/api/v1/quarantine").size(), 2U);
  alerts = daemon.all_items("/api/v1/alerts?rule=device.clinic_mismatch");
  ASSERT_EQ(alerts.size(), 1U);
  EXPECT_EQ(alerts[0].at("occurrences"), 2);
  EXPECT_EQ(alerts[0].at("state"), "open");
}

}  // namespace
}  // namespace sterifleet::testing
