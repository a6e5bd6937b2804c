// Late facts, rule by rule (daemon/engine/README.md, "Late facts"): a message of a device delivered after
// later ones of the same device (lost, then replayed) is placed by device time. A late fact that shows
// an alert's condition never held withdraws the alert; one that shows a condition held and then cleared
// resolves it.
#include "fleet_fixture.hpp"

namespace sterifleet::engine::testing {
namespace {

class LateFacts : public FleetFixture {
 protected:
  void SetUp() override {
    birth("PEN-1");
    birth("STER-1", protocol::DeviceKind::sterilizer);
  }

  DeviceMessage bowie_dick_at(bool pass, double minute) {
    return message("STER-1", protocol::BowieDickTest{pass ? protocol::PassFail::pass : protocol::PassFail::fail},
                   at_minute(minute));
  }
  DeviceMessage telemetry_at(double battery, double minute, std::optional<std::string> session = std::nullopt,
                             double depth = 1.0) {
    auto body = telemetry_body(battery);
    body.depth = protocol::Millimetres{depth};
    if (session) body.session = protocol::SessionId{*session};
    return message("PEN-1", body, at_minute(minute));
  }
};

// The case: the 07:05 test reaches the daemon after the 08:45 first load's cycle.
TEST_F(LateFacts, DailyTestMissing_APassingTestBeforeTheFirstLoadWithdrawsIt) {
  const auto test = bowie_dick_at(true, -55);  // 07:05
  const auto load = message("STER-1", steam("C1", {"PEN-1"}), at_minute(45));
  deliver(load);
  ASSERT_EQ(alerts(RuleId::daily_test_missing).size(), 1u);
  const auto effects = deliver(test);
  EXPECT_TRUE(alerts(RuleId::daily_test_missing).empty());
  const auto all = history(RuleId::daily_test_missing);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state(), AlertState::withdrawn);
  ASSERT_FALSE(effects.alerts.empty());
  EXPECT_EQ(effects.alerts.back().transition, Transition::withdrawn);
}

TEST_F(LateFacts, DailyTestMissing_APassingTestAfterTheFirstLoadResolvesIt) {
  const auto load = message("STER-1", steam("C1", {"PEN-1"}), at_minute(45));
  const auto test = bowie_dick_at(true, 60);
  const auto later = message("STER-1", steam("C2", {"PEN-1"}), at_minute(120));
  deliver(load);
  deliver(later);
  deliver(test);  // late, but after the load: the load did run untested
  const auto fired = alerts(RuleId::daily_test_missing);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::resolved);
  EXPECT_EQ(fired[0].episode.cleared_at, at_minute(60));
}

TEST_F(LateFacts, DailyTestMissing_ALateLoadEarlierInTheDayBecomesTheFirst) {
  const auto early = message("STER-1", steam("C1", {"PEN-1"}), at_minute(30));
  const auto test = bowie_dick_at(true, 40);
  const auto late = message("STER-1", steam("C2", {"PEN-1"}), at_minute(50));
  deliver(test);
  deliver(late);
  EXPECT_TRUE(alerts(RuleId::daily_test_missing).empty());
  deliver(early);  // the day's first load ran before the test
  const auto fired = alerts(RuleId::daily_test_missing);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].episode.opened_at, at_minute(30));
  EXPECT_EQ(fired[0].state(), AlertState::resolved);
}

TEST_F(LateFacts, DailyTestFailed_ALatePassBeforeTheFailLeavesItOpen) {
  const auto pass = bowie_dick_at(true, 5);
  const auto fail = bowie_dick_at(false, 10);
  deliver(fail);
  deliver(pass);
  const auto fired = alerts(RuleId::daily_test_failed);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::open);
}

TEST_F(LateFacts, BatteryLow_ALateGoodReadingBetweenTwoLowOnesSplitsTheEpisode) {
  const auto low = telemetry_at(10, 10);
  const auto good = telemetry_at(60, 20);
  const auto low_again = telemetry_at(12, 30);
  deliver(low);
  deliver(low_again);
  ASSERT_EQ(alerts(RuleId::battery_low).size(), 1u);
  deliver(good);
  const auto fired = alerts(RuleId::battery_low);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].state(), AlertState::resolved);
  EXPECT_EQ(fired[0].episode.cleared_at, at_minute(20));
  EXPECT_EQ(fired[1].episode.opened_at, at_minute(30));
  EXPECT_EQ(fired[1].state(), AlertState::open);
}

TEST_F(LateFacts, BatteryLow_ALateLowReadingBeforeAGoodOneIsResolvedAtIt) {
  const auto low = telemetry_at(10, 10);
  const auto good = telemetry_at(60, 20);
  deliver(good);
  deliver(low);  // an older reading: the battery was low then, and charged since
  const auto fired = alerts(RuleId::battery_low);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::resolved);
  EXPECT_EQ(fired[0].episode.cleared_at, at_minute(20));
}

TEST_F(LateFacts, DepthExceeds_ALateReadingWithinTheLimitResolvesItThere) {
  const auto start = message("PEN-1", session_start("S1", cartridge("CRT-1")), at_minute(10));
  const auto deep = telemetry_at(90, 11, "S1", 2.0);
  const auto back = telemetry_at(90, 12, "S1", 1.0);
  const auto still = telemetry_at(90, 13, "S1", 1.0);
  deliver(start);
  deliver(deep);
  deliver(still);
  deliver(back);
  const auto fired = alerts(RuleId::depth_exceeds_policy);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].episode.cleared_at, at_minute(12));
}

TEST_F(LateFacts, SequenceGapThenFill_FoldsTheWindowOnceNothingIsMissing) {
  const auto first = telemetry_at(10, 10);
  const auto second = telemetry_at(60, 20);
  deliver(second);
  EXPECT_FALSE(device("PEN-1").steps.empty());  // seq of `first` is missing: its facts are held
  deliver(first);
  EXPECT_TRUE(device("PEN-1").steps.empty());
  EXPECT_EQ(alerts(RuleId::battery_low).size(), 1u);
}

}  // namespace
}  // namespace sterifleet::engine::testing
