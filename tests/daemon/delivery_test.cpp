// Alerts reach a person: the real daemon delivering to a webhook the test runs, from a simulated fleet
// with injected violations, and through SIGKILLs between an alert's commit and its delivery.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "http_receiver.hpp"
#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/message_keys.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/simulator.hpp"
#include "sterifleet/testing/sqlite_file.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

/// A daemon configuration that sends every alert to `hook`, without repeats.
std::string webhook_config(const HttpReceiver& hook, const TempDir& dir) {
  const auto secret = dir.path() / "webhook.secret";
  std::ofstream(secret) << "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n";
  return "\n[notify]\ndashboard_url = \"http://127.0.0.1:8080\"\n"
         "[[notify.receiver]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
         hook.url("/hook") + "\"\nsecret_file = \"" + secret.string() +
         "\"\n"
         "[[notify.route]]\nname = \"all\"\nreceiver = \"hook\"\nrepeat_interval_min = 0\n";
}

struct Received {
  std::map<std::string, json> notices;  ///< by notice id: what the receiver keeps after de-duplication
  std::size_t copies = 0;               ///< every notice of every request, duplicates included
};

Received received(const HttpReceiver& hook) {
  Received out;
  for (const auto& request : hook.requests()) {
    const auto body = json::parse(request.body);
    for (const auto& notice : body.at("notices")) {
      out.notices.emplace(notice.at("id").get<std::string>(), notice);
      ++out.copies;
    }
  }
  return out;
}

/// (alert id, kind) -> how many distinct notices.
std::map<std::pair<std::string, std::string>, int> by_alert_and_kind(const Received& r) {
  std::map<std::pair<std::string, std::string>, int> out;
  for (const auto& [id, notice] : r.notices) ++out[{notice.at("alert").at("id"), notice.at("kind")}];
  return out;
}

bool outbox_settles(const Daemon& daemon, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (sqlite_integer(daemon.db(), "SELECT count(*) FROM notifications WHERE state = 'pending'") == 0) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

/// A daemon delivering to `hook`, and a simulated fleet of two clinics over three days publishing to it.
DaemonOptions delivering_daemon(const Mosquitto& broker, const HttpReceiver& hook, const TempDir& dir) {
  DaemonOptions options{STERIFLEETD_PATH, broker.url(), {{"engine.retention_hours", "720"}, {"log.level", "\"warn\""}}};
  options.extra_toml = webhook_config(hook, dir);
  return options;
}

std::vector<std::string> three_days(const std::string& seed, const std::string& violations) {
  return {"--clinics",     "2",
          "--pens",        "3",
          "--sterilizers", "1",
          "--days",        "3",
          "--speed",       "0",
          "--seed",        seed,
          "--start",       utc_days_ago(4),
          "--violations",  violations,
          "--sent-log",    "{dir}/sent.log",
          "--log-level",   "warn"};
}

TEST(DaemonDelivery, EachAlertIsOneFiringNotice_AndEachEndOneResolvedOrWithdrawnNotice) {
  Mosquitto broker;
  HttpReceiver hook;
  TempDir dir("sterifleet-delivery");
  Daemon daemon(delivering_daemon(broker, hook, dir));
  Simulator sim(STERIFLEET_SIM_PATH, broker.url(), three_days("16", "0.1"));
  ASSERT_EQ(sim.finish(300s), 0) << sim.logs();
  const auto problems = wait_until_stored(daemon.db(), read_sent_log(sim.file("sent.log")), 120s);
  ASSERT_TRUE(problems.empty()) << problems.front();
  ASSERT_TRUE(outbox_settles(daemon, 60s)) << daemon.log();

  const auto alerts = daemon.all_items("/api/v1/alerts");
  ASSERT_GT(alerts.size(), 10u);
  const auto got = by_alert_and_kind(received(hook));
  for (const auto& alert : alerts) {
    const std::string id = alert.at("id");
    const std::string state = alert.at("state");
    const std::string rule = alert.at("rule");
    EXPECT_EQ(got.contains({id, "firing"}) ? got.at({id, "firing"}) : 0, 1) << rule << " " << id;
    if (state == "resolved" || state == "withdrawn") {
      EXPECT_EQ(got.contains({id, state}) ? got.at({id, state}) : 0, 1) << rule << " " << id << " " << state;
    }
  }
  std::set<std::string> known;
  for (const auto& alert : alerts) known.insert(alert.at("id"));
  for (const auto& [key, count] : got) EXPECT_TRUE(known.contains(key.first)) << "a notice of no alert: " << key.first;
  EXPECT_EQ(sqlite_integer(daemon.db(), "SELECT count(*) FROM notifications WHERE state = 'dead'"), 0);
  EXPECT_TRUE(daemon.running()) << daemon.log();
}

TEST(DaemonDelivery, KilledBetweenCommitAndDelivery_EveryNoticeArrives_OnceAfterDeduplication) {
  Mosquitto broker;
  // A slow receiver keeps deliveries in flight when the daemon is killed.
  HttpReceiver hook({}, ScriptedReply{200, {}, "", 150ms});
  TempDir dir("sterifleet-delivery");
  Daemon daemon(delivering_daemon(broker, hook, dir));
  Simulator sim(STERIFLEET_SIM_PATH, broker.url(), three_days("17", "0.2"));
  for (int kill = 0; kill < 10; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400 + 97 * kill));
    daemon.kill();
    daemon.start();
  }
  ASSERT_EQ(sim.finish(300s), 0) << sim.logs();
  const auto problems = wait_until_stored(daemon.db(), read_sent_log(sim.file("sent.log")), 120s);
  ASSERT_TRUE(problems.empty()) << problems.front();
  ASSERT_TRUE(outbox_settles(daemon, 120s)) << daemon.log();

  const auto got = received(hook);
  const auto rows = sqlite_rows(daemon.db(), "SELECT id, state FROM notifications");
  ASSERT_GT(rows.size(), 10u);
  std::set<std::string> stored;
  for (const auto& row : rows) {
    stored.insert(row.at(0));
    EXPECT_EQ(row.at(1), "delivered") << row.at(0);
    EXPECT_TRUE(got.notices.contains(row.at(0))) << "never received: " << row.at(0);
  }
  for (const auto& [id, notice] : got.notices) EXPECT_TRUE(stored.contains(id)) << "received, not stored: " << id;
  EXPECT_EQ(got.notices.size(), stored.size());
  // The kills did land between a commit and its delivery: some notices came twice (64 notices in 93
  // copies when written), and de-duplication by id made them once.
  EXPECT_GT(got.copies, got.notices.size());
  RecordProperty("notices", static_cast<int>(got.notices.size()));
  RecordProperty("copies_received", static_cast<int>(got.copies));
}

}  // namespace
}  // namespace sterifleet::testing
