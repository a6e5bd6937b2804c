// The broker restarted under load (SIGTERM, persistence on, same port): the daemon notices (not ready),
// reconnects to its persistent session by itself (ready again), and nothing the devices sent is lost.
// While the daemon cannot hear anybody, silence is not the devices' fault: no device.offline for it.
#include <gtest/gtest.h>

#include <thread>

#include "load.hpp"
#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/message_keys.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/simulator.hpp"
#include "sterifleet/testing/sqlite_file.hpp"

namespace sterifleet::testing {
namespace {

using namespace std::chrono_literals;

long long stored(const Daemon& daemon) { return sqlite_integer(daemon.db(), "SELECT count(*) FROM messages"); }

TEST(BrokerRestart, UnderLoad_TheDaemonReconnectsAndNothingSentIsLost) {
  Mosquitto broker;
  Daemon daemon({STERIFLEETD_PATH, broker.url(), {{"log.level", "\"warn\""}}});
  Simulator sim(STERIFLEET_SIM_PATH, broker.url(), working_day_load(47));

  for (int restart = 1; restart <= 2; ++restart) {
    SCOPED_TRACE("broker restart " + std::to_string(restart));
    // Under way: the daemon is storing.
    const auto before = stored(daemon);
    for (auto deadline = std::chrono::steady_clock::now() + 30s; stored(daemon) < before + 300;) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << daemon.log();
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(sim.process().running());
    broker.stop();
    EXPECT_TRUE(daemon.wait_not_ready(10s));
    std::this_thread::sleep_for(1s);  // devices keep working and buffer while the broker is away
    broker.start();
    EXPECT_TRUE(daemon.wait_ready(60s)) << daemon.log();
  }
  ASSERT_EQ(sim.finish(180s), 0) << sim.logs();

  const auto sent = read_sent_log(sim.file("sent.log"));
  ASSERT_GT(sent.size(), 3000U);
  const auto problems = wait_until_stored(daemon.db(), sent, 120s);
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front();
  EXPECT_EQ(sqlite_integer(daemon.db(), "SELECT count(*) FROM quarantine"), 0);
  EXPECT_EQ(metric_value(daemon.metrics(), "sterifleet_mqtt_connected"), 1);
  EXPECT_TRUE(daemon.running());
}

TEST(BrokerRestart, AnOutageLongerThanTheHeartbeat_ReportsNoDeviceOffline) {
  Mosquitto broker;
  Daemon daemon({STERIFLEETD_PATH, broker.url(), {{"log.level", "\"warn\""}}});
  // Pens declare a 10 s heartbeat (the shortest the protocol allows) and publish every 0.1 s.
  Simulator sim(STERIFLEET_SIM_PATH, broker.url(),
                {"--clinics", "1", "--pens", "3", "--sterilizers", "1", "--days", "0.25", "--speed", "600", "--seed",
                 "5", "--start", utc_days_ago(1, 7), "--heartbeat", "10", "--log-level", "warn"});
  for (auto deadline = std::chrono::steady_clock::now() + 30s;
       sqlite_integer(daemon.db(), "SELECT count(*) FROM messages WHERE type = 'telemetry'") < 100;) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << daemon.log();
    std::this_thread::sleep_for(50ms);
  }
  const auto silent_from = std::chrono::steady_clock::now();
  broker.stop();
  ASSERT_TRUE(daemon.wait_not_ready(10s));
  // Nothing to wait for (the point is that nothing happens): the outage has to outlast the pens'
  // heartbeat (10 s, the shortest the protocol allows), or no device.offline would be due in the first
  // place; a second of margin.
  std::this_thread::sleep_until(silent_from + 10s + 1s);
  broker.start();
  ASSERT_TRUE(daemon.wait_ready(60s)) << daemon.log();
  ASSERT_EQ(sim.finish(120s), 0) << sim.logs();

  const auto offline = daemon.all_items("/api/v1/alerts?rule=device.offline");
  EXPECT_TRUE(offline.empty()) << offline.size() << " device.offline alerts, the first:\n"
                               << (offline.empty() ? "" : offline.front().dump(2));
}

}  // namespace
}  // namespace sterifleet::testing
