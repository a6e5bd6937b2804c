// Commands out: a pen is locked while it has an active, unsilenced critical alert of its own, and
// unlocked when the last one clears.
#include "fleet_fixture.hpp"

namespace sterifleet::engine::testing {
namespace {

class Locking : public FleetFixture {
 protected:
  void SetUp() override {
    birth("PEN-1");
    birth("STER-1", protocol::DeviceKind::sterilizer);
    bowie_dick("STER-1", true, 1);
  }
};

TEST_F(Locking, StaysLockedUntilTheLastCriticalAlertOfThePenClears) {
  start("PEN-1", "S1", 10, cartridge("CRT-A"));
  end("PEN-1", "S1", 20);
  remove("PEN-1", "CRT-A", 21);
  start("PEN-1", "S2", 30, cartridge("CRT-OLD", "2026-11-01"));  // unreprocessed pen and expired cartridge
  ASSERT_EQ(alerts(RuleId::used_without_reprocessing).size(), 1u);
  ASSERT_EQ(alerts(RuleId::cartridge_expired).size(), 1u);
  EXPECT_EQ(lock_commands(), (std::vector<std::string>{"lock:PEN-1"}));

  end("PEN-1", "S2", 40);
  remove("PEN-1", "CRT-OLD", 41);
  EXPECT_EQ(alerts(RuleId::cartridge_expired)[0].state(), AlertState::resolved);
  EXPECT_TRUE(device("PEN-1").locked);
  EXPECT_EQ(lock_commands(), (std::vector<std::string>{"lock:PEN-1"}));

  cycle("STER-1", steam("C1", {"PEN-1"}), 50);
  EXPECT_FALSE(device("PEN-1").locked);
  EXPECT_EQ(lock_commands(), (std::vector<std::string>{"lock:PEN-1", "unlock:PEN-1"}));
}

TEST_F(Locking, WarningAlertsDoNotLock) {
  telemetry("PEN-1", 5, 5);
  start("PEN-1", "S1", 10, {}, 2.0, protocol::TreatmentArea::cheek);
  end("PEN-1", "S1", 20, 400'000);
  EXPECT_EQ(alerts(RuleId::battery_low).size(), 1u);
  EXPECT_EQ(alerts(RuleId::depth_exceeds_policy).size(), 1u);
  EXPECT_EQ(alerts(RuleId::cartridge_overused).size(), 1u);
  EXPECT_TRUE(lock_commands().empty());
  EXPECT_FALSE(device("PEN-1").locked);
}

// A critical alert of the sterilizer (its cycle failed) does not lock the pens of the load: their
// own alert comes when one of them is used unreprocessed.
TEST_F(Locking, CriticalAlertsOfAnotherDeviceDoNotLockThePen) {
  cycle("STER-1", steam("C1", {"PEN-1"}, 132, 100), 10);
  ASSERT_EQ(alerts(RuleId::cycle_parameters_insufficient).size(), 1u);
  EXPECT_TRUE(lock_commands().empty());
}

TEST_F(Locking, ASilencedCriticalAlertInAMaintenanceWindowDoesNotLock) {
  ASSERT_TRUE(engine_
                  .add_maintenance(protocol::DeviceId{"PEN-1"}, {at_minute(5), at_minute(60), "handpiece swap"},
                                   "token:tech", at_minute(2))
                  .accepted());
  start("PEN-1", "S1", 10);
  end("PEN-1", "S1", 20);
  const auto effects = start("PEN-1", "S2", 30);
  const auto fired = alerts(RuleId::used_without_reprocessing);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_TRUE(fired[0].silenced);
  EXPECT_TRUE(lock_commands().empty());
  EXPECT_FALSE(device("PEN-1").locked);
}

}  // namespace
}  // namespace sterifleet::engine::testing
