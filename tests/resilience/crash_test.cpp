// "Kill the daemon with SIGKILL under load, restart it: every message the devices sent is stored exactly
// once and every alert is right" (PRODUCT.md, quality bars). The broker keeps the daemon's persistent
// session, so what was not acknowledged before a kill is delivered again to the next run; the audit
// chain survives every kill; a compliant fleet raises no alert however often the daemon dies.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "load.hpp"
#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/message_keys.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/sqlite_file.hpp"

namespace sterifleet::testing {
namespace {

using namespace std::chrono_literals;

TEST(DaemonCrash, KilledAtRandomMomentsUnderLoad_EveryMessageStoredExactlyOnce_AndTheAuditTrailIntact) {
  Mosquitto broker;
  Daemon daemon({STERIFLEETD_PATH, broker.url(), {{"log.level", "\"warn\""}}});
  Simulator sim(STERIFLEET_SIM_PATH, broker.url(), working_day_load(31));

  const auto seed = std::random_device{}();
  SCOPED_TRACE("kill moments seeded with " + std::to_string(seed));
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> uptime_ms(100, 2000);
  std::uniform_int_distribution<int> startup_ms(0, 300);
  std::bernoulli_distribution during_startup(0.25);
  int kills = 0;
  while (sim.process().running() && kills < 15) {
    std::this_thread::sleep_for(std::chrono::milliseconds{uptime_ms(random)});
    daemon.kill();
    ++kills;
    if (during_startup(random)) {
      // Again before it is ready: while it rebuilds its state from the journal or resumes its session.
      daemon.spawn();
      std::this_thread::sleep_for(std::chrono::milliseconds{startup_ms(random)});
      daemon.kill();
      ++kills;
    }
    ASSERT_NO_THROW(daemon.start()) << "after kill " << kills;
  }
  ASSERT_GE(kills, 10) << "the load ended too soon";
  ASSERT_EQ(sim.finish(120s), 0) << sim.logs();

  const auto sent = read_sent_log(sim.file("sent.log"));
  ASSERT_GT(sent.size(), 3000U);
  const auto problems = wait_until_stored(daemon.db(), sent, 120s);
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front();
  // A redelivery after a kill is recognised, never taken for a different message with the same key.
  EXPECT_EQ(sqlite_integer(daemon.db(), "SELECT count(*) FROM quarantine"), 0);
  const auto alerts = daemon.all_items("/api/v1/alerts");
  EXPECT_TRUE(alerts.empty()) << nlohmann::json(alerts).dump(2);

  ASSERT_EQ(daemon.stop(), 0) << daemon.log();
  const auto verify = run_to_completion({STERIFLEET_CLI_PATH, "audit", "verify", "--db", daemon.db().string()});
  EXPECT_EQ(verify.status, 0) << verify.output;
}

}  // namespace
}  // namespace sterifleet::testing
