// The daemon's audit checkpoints leave its store: on first start it makes the signing key 0600 (and its
// public key beside it), and the checkpoint it signs is in the checkpoints file, retained on a real
// Mosquitto under the shipped ACL (where an auditor's account reads it and a device cannot replace it),
// and sent to the notification receivers audit.checkpoint_receivers names.
#include <gtest/gtest.h>
#include <mqtt/exception.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "broker_traffic.hpp"
#include "http_receiver.hpp"
#include "sterifleet/checkpoint/checkpoint.hpp"
#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/http_get.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/mqtt_recorder.hpp"

namespace sterifleet::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* checkpoint_topic = "sterifleet/v1/_fleet/audit/checkpoint";
const MqttLogin daemon_login{"sterifleetd", "daemon-secret"};
const MqttLogin auditor_login{"sterifleet-auditor", "auditor-secret"};
const MqttLogin pen_login{"PEN-A", "pen-a-secret"};

std::string last_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  for (std::string next; std::getline(in, next);) line = next;
  return line;
}

unsigned mode_of(const fs::path& path) {
  struct stat status {};
  EXPECT_EQ(::stat(path.c_str(), &status), 0) << path;
  return status.st_mode & 0777;
}

TEST(DaemonCheckpoints, KeyIsMade0600_AndTheCheckpointIsFiledAndRetainedForAuditors) {
  TempDir security("sterifleet-checkpoint-acl");
  Mosquitto broker(broker_with_shipped_acl(security.path(), {daemon_login, auditor_login, pen_login}));
  Daemon daemon(
      {STERIFLEETD_PATH,
       broker.url(),
       {{"mqtt.username", json(daemon_login.username).dump()}, {"mqtt.password", json(daemon_login.password).dump()}}});
  const fs::path key = daemon.db().string() + "-audit.key";
  const fs::path file = daemon.db().string() + "-checkpoints.jsonl";
  EXPECT_EQ(mode_of(key), 0600u);
  std::ifstream public_pem(key.string() + ".pub");
  std::ostringstream pem;
  pem << public_pem.rdbuf();
  const auto public_key = crypto::public_key_from_pem(pem.str());
  ASSERT_TRUE(public_key);

  // A subscriber that comes later gets the retained checkpoint: the one the daemon filed last.
  MqttRecorder auditor(broker.url(), checkpoint_topic, "auditor", auditor_login);
  ASSERT_TRUE(auditor.wait_for([](const auto& all) { return !all.empty(); }, 10s)) << daemon.log();
  const auto received = auditor.messages().front();
  EXPECT_TRUE(received.retained);
  EXPECT_EQ(received.payload, last_line(file));
  const auto parsed = checkpoint::from_line(received.payload);
  ASSERT_TRUE(parsed.checkpoint) << parsed.problem;
  EXPECT_FALSE(checkpoint::signature_problem(*parsed.checkpoint, *public_key));

  // A device account cannot replace it: a later subscriber still gets the daemon's.
  MqttRecorder pen(broker.url(), "sterifleet/v1/C01/PEN-A/cmd", "PEN-A", pen_login);
  try {
    pen.publish(checkpoint_topic, R"({"v":1,"seq":0})", true);
  } catch (const mqtt::exception&) {
    // Refused outright by a broker that tells MQTT 3.1.1 clients; Mosquitto drops it silently.
  }
  pen.publish("sterifleet/v1/C01/PEN-A/birth", "{}");  // the broker handles one client's messages in order
  MqttRecorder later(broker.url(), checkpoint_topic, "auditor-later", auditor_login);
  ASSERT_TRUE(later.wait_for([](const auto& all) { return !all.empty(); }, 10s));
  EXPECT_EQ(later.messages().front().payload, received.payload);
}

std::string webhook_receiver(const HttpReceiver& hook, const TempDir& dir) {
  const auto secret = dir.path() / "webhook.secret";
  std::ofstream(secret) << "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n";
  return "\n[notify]\n[[notify.receiver]]\nname = \"auditor-hook\"\ntype = \"webhook\"\nurl = \"" + hook.url("/hook") +
         "\"\nsecret_file = \"" + secret.string() + "\"\n";
}

// A daemon whose checkpoints audit.checkpoint_receivers sends to a webhook.
struct HookedDaemon {
  DaemonOptions options() {
    DaemonOptions o{STERIFLEETD_PATH, broker.url(), {{"audit.checkpoint_receivers", "\"auditor-hook\""}}};
    o.extra_toml = webhook_receiver(hook, dir);
    return o;
  }

  TempDir dir{"sterifleet-checkpoint-hook"};
  HttpReceiver hook;
  Mosquitto broker;
  Daemon daemon{options()};
};

TEST(DaemonCheckpoints, NamedReceiverGetsEachCheckpoint) {
  HookedDaemon hooked;
  auto& [dir, hook, broker, daemon] = hooked;
  ASSERT_TRUE(hook.wait_for_requests(1, 10s)) << daemon.log();
  const auto notice = json::parse(hook.requests().front().body).at("notices").at(0);
  EXPECT_EQ(notice.at("kind"), "checkpoint");
  const auto sent = checkpoint::from_json(notice.at("alert").at("checkpoint"));
  ASSERT_TRUE(sent.checkpoint) << sent.problem;
  EXPECT_EQ(checkpoint::to_line(*sent.checkpoint), last_line(daemon.db().string() + "-checkpoints.jsonl"));
  EXPECT_FALSE(checkpoint::signature_problem(*sent.checkpoint, std::nullopt));
}

// Every report signs a checkpoint (the file keeps each, the report carries its own), but any token may make
// reports: the receivers get one a minute at most from them, and always the timer's and the last at stop.
TEST(DaemonCheckpoints, ReportsDoNotFloodTheReceivers_TheFileKeepsEveryCheckpoint) {
  HookedDaemon hooked;
  auto& [dir, hook, broker, daemon] = hooked;
  ASSERT_TRUE(hook.wait_for_requests(1, 10s)) << daemon.log();
  const auto file = daemon.db().string() + "-checkpoints.jsonl";
  for (int i = 0; i < 3; ++i) {
    const auto report = http_get(daemon.port(), "/api/v1/reports/compliance?format=json", daemon.token());
    ASSERT_EQ(report.status, 200) << report.body;
  }
  std::ifstream in(file);
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_EQ(lines, 4U) << "the start's and one per report";
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(hook.requests().size(), 1U);
  daemon.stop();
  ASSERT_TRUE(hook.wait_for_requests(2, 10s));
  const auto last = json::parse(hook.requests().back().body).at("notices").at(0).at("alert").at("checkpoint");
  EXPECT_EQ(checkpoint::to_line(*checkpoint::from_json(last).checkpoint), last_line(file));
}

TEST(DaemonCheckpoints, UnknownReceiverIsAConfigurationError) {
  Mosquitto broker;
  DaemonOptions options{STERIFLEETD_PATH, broker.url(), {{"audit.checkpoint_receivers", "\"nobody\""}}};
  options.ready_timeout = 10s;
  try {
    Daemon daemon(options);
    FAIL() << "the daemon started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("audit.checkpoint_receivers: no [notify] receiver named \"nobody\""),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace sterifleet::testing
