// The broker ACL shipped in deploy/ (copied as is), with per-device accounts named "<clinic>/<device>": a
// device publishes under its own topics and the daemon's account receives it; it cannot publish under
// another device's topics, nor under its own id in another clinic, nor send commands, and cannot read
// another device's commands. Plain loopback listener instead of TLS.
#include <gtest/gtest.h>
#include <mqtt/exception.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "broker_traffic.hpp"
#include "sterifleet/protocol/time.hpp"
#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/mqtt_recorder.hpp"
#include "sterifleet/testing/sqlite_file.hpp"

namespace sterifleet::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

const MqttLogin daemon_login{"sterifleetd", "daemon-secret"};
const MqttLogin pen_a_login{"C01/PEN-A", "pen-a-secret"};
const MqttLogin pen_b_login{"C01/PEN-B", "pen-b-secret"};
// A name Mosquitto would substitute as a wildcard level, were it not refused.
const MqttLogin wildcard_login{"C01/+", "wildcard-secret"};

std::string topic(const std::string& device, const std::string& channel, const std::string& clinic = "C01") {
  return "sterifleet/v1/" + clinic + "/" + device + "/" + channel;
}

std::string command(const std::string& id) {
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return json{{"v", 1}, {"cmd", "rebirth"}, {"id", id}, {"ts", protocol::format_timestamp(now)}}.dump();
}

class DaemonAcl : public ::testing::Test {
 protected:
  TempDir security_{"sterifleet-acl"};
  Mosquitto broker_{
      broker_with_shipped_acl(security_.path(), {daemon_login, pen_a_login, pen_b_login, wildcard_login})};
  Daemon daemon_{
      {STERIFLEETD_PATH,
       broker_.url(),
       {{"mqtt.username", json(daemon_login.username).dump()}, {"mqtt.password", json(daemon_login.password).dump()}}}};
  // What the daemon's account can read, next to the daemon itself.
  MqttRecorder observer_{broker_.url(), "sterifleet/v1/#", "acl-observer", daemon_login};
};

TEST_F(DaemonAcl, ADeviceAccount_PublishesUnderItsOwnTopics_AndTheDaemonStoresIt) {
  MqttRecorder pen_a(broker_.url(), topic("PEN-A", "cmd"), "PEN-A", pen_a_login);
  pen_a.publish(topic("PEN-A", "birth"), birth("PEN-A"));
  pen_a.publish(topic("PEN-A", "telemetry"), telemetry("PEN-A", 2));
  ASSERT_TRUE(observer_.wait_for([](const auto& all) { return has_topic(all, topic("PEN-A", "telemetry")); }, 10s));
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       sqlite_integer(daemon_.db(), "SELECT count(*) FROM messages WHERE device = 'PEN-A'") < 2;) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << daemon_.log();
    std::this_thread::sleep_for(50ms);
  }
}

TEST_F(DaemonAcl, ADeviceAccount_CannotPublishUnderAnotherDevicesTopicsNorSendCommands) {
  MqttRecorder pen_a(broker_.url(), topic("PEN-A", "cmd"), "PEN-A", pen_a_login);
  MqttRecorder pen_b(broker_.url(), topic("PEN-B", "cmd"), "PEN-B", pen_b_login);
  // Well-formed messages that would pass for PEN-B's own, then a command to it.
  pen_a.publish(topic("PEN-B", "birth"), birth("PEN-B"));
  pen_a.publish(topic("PEN-B", "telemetry"), telemetry("PEN-B", 2));
  pen_a.publish(topic("PEN-B", "cmd"), command("forged-by-pen-a"));
  // The broker keeps one client's messages in order: once PEN-A's own message has arrived, the denied
  // ones would have arrived before it.
  pen_a.publish(topic("PEN-A", "birth"), birth("PEN-A"));
  ASSERT_TRUE(observer_.wait_for([](const auto& all) { return has_topic(all, topic("PEN-A", "birth")); }, 10s));
  const auto seen = observer_.messages();
  EXPECT_FALSE(has_topic(seen, topic("PEN-B", "birth")));
  EXPECT_FALSE(has_topic(seen, topic("PEN-B", "telemetry")));
  EXPECT_FALSE(has_topic(seen, topic("PEN-B", "cmd")));

  // The daemon stored PEN-A's birth (so it had every earlier message) and nothing of PEN-B.
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       sqlite_integer(daemon_.db(), "SELECT count(*) FROM messages WHERE device = 'PEN-A'") < 1;) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << daemon_.log();
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(sqlite_integer(daemon_.db(), "SELECT count(*) FROM messages WHERE device = 'PEN-B'"), 0);
  EXPECT_EQ(sqlite_integer(daemon_.db(), "SELECT count(*) FROM quarantine"), 0);

  // The daemon's account does command PEN-B; PEN-B gets that one and not PEN-A's forgery.
  observer_.publish(topic("PEN-B", "cmd"), command("from-daemon"));
  ASSERT_TRUE(pen_b.wait_for([](const auto& all) { return !all.empty(); }, 10s));
  const auto commands = pen_b.messages();
  ASSERT_EQ(commands.size(), 1U);
  EXPECT_NE(commands.front().payload.find("from-daemon"), std::string::npos);
}

TEST_F(DaemonAcl, ADeviceAccount_CannotPublishUnderAnotherClinicsTopics) {
  MqttRecorder pen_a(broker_.url(), topic("PEN-A", "cmd"), "PEN-A", pen_a_login);
  MqttRecorder wildcard(broker_.url(), topic("PEN-W", "cmd"), "PEN-W", wildcard_login);
  pen_a.publish(topic("PEN-A", "birth", "C02"), birth("PEN-A"));
  pen_a.publish(topic("PEN-A", "telemetry", "C02"), telemetry("PEN-A", 2));
  wildcard.publish(topic("PEN-B", "birth"), birth("PEN-B"));
  wildcard.publish(topic("PEN-W", "birth"), birth("PEN-W"));
  pen_a.publish(topic("PEN-A", "birth"), birth("PEN-A"));
  ASSERT_TRUE(observer_.wait_for([](const auto& all) { return has_topic(all, topic("PEN-A", "birth")); }, 10s));
  const auto seen = observer_.messages();
  EXPECT_FALSE(has_topic(seen, topic("PEN-A", "birth", "C02")));
  EXPECT_FALSE(has_topic(seen, topic("PEN-A", "telemetry", "C02")));
  // Each publish waits for the broker's acknowledgement, so the wildcard account's messages were routed
  // (had they been allowed) before PEN-A's last one, and reached the observer and the daemon first.
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       sqlite_integer(daemon_.db(), "SELECT count(*) FROM messages WHERE device = 'PEN-A'") < 1;) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << daemon_.log();
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_FALSE(has_topic(observer_.messages(), topic("PEN-B", "birth")));
  EXPECT_FALSE(has_topic(observer_.messages(), topic("PEN-W", "birth")));
  EXPECT_EQ(sqlite_integer(daemon_.db(), "SELECT count(*) FROM messages WHERE clinic = 'C02'"), 0);
  EXPECT_EQ(sqlite_integer(daemon_.db(), "SELECT count(*) FROM messages WHERE device <> 'PEN-A'"), 0);
  EXPECT_EQ(sqlite_integer(daemon_.db(), "SELECT count(*) FROM quarantine"), 0);
}

TEST_F(DaemonAcl, ADeviceAccount_CannotReadAnotherDevicesCommands) {
  // Mosquitto grants the subscription and filters each delivery by the ACL.
  MqttRecorder pen_a(broker_.url(), topic("+", "cmd"), "PEN-A", pen_a_login);
  MqttRecorder pen_a_direct(broker_.url(), topic("PEN-B", "cmd"), "PEN-A-direct", pen_a_login);
  MqttRecorder pen_b(broker_.url(), topic("PEN-B", "cmd"), "PEN-B", pen_b_login);
  observer_.publish(topic("PEN-B", "cmd"), command("for-pen-b"));
  observer_.publish(topic("PEN-A", "cmd"), command("for-pen-a"));
  ASSERT_TRUE(pen_b.wait_for([](const auto& all) { return !all.empty(); }, 10s));
  ASSERT_TRUE(pen_a.wait_for([](const auto& all) { return has_topic(all, topic("PEN-A", "cmd")); }, 10s));
  // PEN-A's delivery came after PEN-B's command was routed: had it been allowed, it would be here.
  EXPECT_FALSE(has_topic(pen_a.messages(), topic("PEN-B", "cmd")));
  EXPECT_EQ(pen_a.messages().size(), 1U);
  // The direct subscription shares the broker's routing of that same command; give it the same bound.
  observer_.publish(topic("PEN-A", "cmd"), command("for-pen-a-2"));
  ASSERT_TRUE(pen_a.wait_for([](const auto& all) { return all.size() == 2; }, 10s));
  EXPECT_EQ(pen_a_direct.size(), 0U);
}

}  // namespace
}  // namespace sterifleet::testing
