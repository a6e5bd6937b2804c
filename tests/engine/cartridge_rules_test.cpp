// cartridge.reused, cartridge.expired, cartridge.overused.
#include "fleet_fixture.hpp"

namespace sterifleet::engine::testing {
namespace {

class Cartridges : public FleetFixture {
 protected:
  void SetUp() override {
    birth("PEN-1");
    birth("PEN-2");
    birth("STER-1", protocol::DeviceKind::sterilizer);
    bowie_dick("STER-1", true, 1);
  }
  // A complete, compliant session with its own reprocessing afterwards.
  void session(const std::string& pen, const std::string& id, double minute, protocol::Cartridge c) {
    start(pen, id, minute, c);
    end(pen, id, minute + 20);
    remove(pen, c.id.str(), minute + 21);
    cycle("STER-1", steam("C-" + pen + "-" + id, {pen}), minute + 25);
  }
};

TEST_F(Cartridges, Reused_FiresOnSecondSession) {
  session("PEN-1", "S1", 10, cartridge("CRT-A"));
  start("PEN-1", "S2", 60, cartridge("CRT-A"));
  const auto fired = alerts(RuleId::cartridge_reused);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject, "CRT-A");
  EXPECT_EQ(fired[0].episode.device.str(), "PEN-1");
  EXPECT_EQ(fired[0].episode.opened_at, at_minute(60));
  EXPECT_EQ(lock_commands(), (std::vector<std::string>{"lock:PEN-1"}));
}

TEST_F(Cartridges, Reused_QuietWithFreshCartridgeEachSession) {
  session("PEN-1", "S1", 10, cartridge("CRT-A"));
  session("PEN-1", "S2", 60, cartridge("CRT-B"));
  EXPECT_EQ(alert_count(), 0u);
}

TEST_F(Cartridges, Reused_AcrossPensBlamesTheLaterSessionWhateverTheArrivalOrder) {
  session("PEN-2", "S9", 60, cartridge("CRT-A"));  // later in device time, arrives first
  session("PEN-1", "S1", 10, cartridge("CRT-A"));
  const auto fired = alerts(RuleId::cartridge_reused);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].episode.device.str(), "PEN-2");
  EXPECT_EQ(fired[0].episode.opened_at, at_minute(60));
  EXPECT_EQ(fired[0].state(), AlertState::resolved);  // PEN-2 removed it at minute 81
}

TEST_F(Cartridges, Reused_DeduplicatesWhileMounted) {
  session("PEN-1", "S1", 10, cartridge("CRT-A"));
  start("PEN-1", "S2", 60, cartridge("CRT-A"));
  end("PEN-1", "S2", 70);
  cycle("STER-1", steam("C2", {"PEN-1"}), 75);
  start("PEN-1", "S3", 80, cartridge("CRT-A"));
  const auto fired = alerts(RuleId::cartridge_reused);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].episode.occurrences, 2);
}

TEST_F(Cartridges, Reused_ResolvesWhenRemovedOrReplaced) {
  session("PEN-1", "S1", 10, cartridge("CRT-A"));
  start("PEN-1", "S2", 60, cartridge("CRT-A"));
  end("PEN-1", "S2", 70);
  remove("PEN-1", "CRT-A", 71);
  auto fired = alerts(RuleId::cartridge_reused);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::resolved);
  EXPECT_EQ(fired[0].episode.cleared_at, at_minute(71));
  EXPECT_EQ(lock_commands(), (std::vector<std::string>{"lock:PEN-1", "unlock:PEN-1"}));
  // A third use after the removal is a new episode.
  cycle("STER-1", steam("C3", {"PEN-1"}), 75);
  start("PEN-1", "S3", 80, cartridge("CRT-A"));
  EXPECT_EQ(alerts(RuleId::cartridge_reused).size(), 2u);
}

TEST_F(Cartridges, Reused_ResolvesWhenTheNextSessionMountsAnotherCartridge) {
  session("PEN-1", "S1", 10, cartridge("CRT-A"));
  start("PEN-1", "S2", 60, cartridge("CRT-A"));
  end("PEN-1", "S2", 70);
  cycle("STER-1", steam("C2", {"PEN-1"}), 75);
  start("PEN-1", "S3", 80, cartridge("CRT-B"));  // no removal reported: mounting CRT-B replaced CRT-A
  const auto fired = alerts(RuleId::cartridge_reused);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::resolved);
  EXPECT_EQ(fired[0].episode.cleared_at, at_minute(80));
  EXPECT_EQ(lock_commands(), (std::vector<std::string>{"lock:PEN-1", "unlock:PEN-1"}));
}

TEST_F(Cartridges, Expired_FiresTheDayAfterExpiry) {
  start("PEN-1", "S1", 10, cartridge("CRT-OLD", "2026-11-01"));  // kStart is 2026-11-02
  const auto fired = alerts(RuleId::cartridge_expired);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject, "CRT-OLD");
  EXPECT_EQ(fired[0].severity, Severity::critical);
}

TEST_F(Cartridges, Expired_QuietOnItsExpiryDate) {
  start("PEN-1", "S1", 10, cartridge("CRT-EDGE", "2026-11-02"));
  EXPECT_TRUE(alerts(RuleId::cartridge_expired).empty());
}

// "A day after the expiry date" is a UTC date: the expiry date's last millisecond is still in date.
TEST_F(Cartridges, Expired_QuietUntilTheLastMillisecondOfItsExpiryDate) {
  const Timestamp next_day = *protocol::parse_timestamp("2026-11-03T00:00:00Z");
  send_at("PEN-1", session_start("S1", cartridge("CRT-EDGE-1", "2026-11-02")), next_day - 1ms);
  EXPECT_TRUE(alerts(RuleId::cartridge_expired).empty());
  send_at("PEN-2", session_start("S1", cartridge("CRT-EDGE-2", "2026-11-02")), next_day);
  const auto fired = alerts(RuleId::cartridge_expired);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject, "CRT-EDGE-2");
}

TEST_F(Cartridges, Expired_ResolvesWhenRemoved) {
  start("PEN-1", "S1", 10, cartridge("CRT-OLD", "2026-11-01"));
  end("PEN-1", "S1", 30);
  remove("PEN-1", "CRT-OLD", 31);
  const auto fired = alerts(RuleId::cartridge_expired);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::resolved);
}

TEST_F(Cartridges, Expired_DeduplicatesOnOneMount) {
  start("PEN-1", "S1", 10, cartridge("CRT-OLD", "2026-11-01"));
  end("PEN-1", "S1", 30);
  cycle("STER-1", steam("C1", {"PEN-1"}), 35);
  start("PEN-1", "S2", 40, cartridge("CRT-OLD", "2026-11-01"));
  const auto fired = alerts(RuleId::cartridge_expired);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].episode.occurrences, 2);
}

TEST_F(Cartridges, Overused_FiresOneStrokeAboveRating) {
  start("PEN-1", "S1", 10, cartridge("CRT-A", "2027-06-30", 5000));
  end("PEN-1", "S1", 30, 5001);
  const auto fired = alerts(RuleId::cartridge_overused);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].severity, Severity::warning);
  EXPECT_EQ(fired[0].episode.opened_at, at_minute(30));
}

TEST_F(Cartridges, Overused_QuietExactlyAtRating) {
  start("PEN-1", "S1", 10, cartridge("CRT-A", "2027-06-30", 5000));
  end("PEN-1", "S1", 30, 5000, 3600);  // rated run time is 3600 s as well
  EXPECT_TRUE(alerts(RuleId::cartridge_overused).empty());
}

TEST_F(Cartridges, Overused_FiresOnRunTimeOverRating) {
  start("PEN-1", "S1", 10, cartridge("CRT-A"));
  end("PEN-1", "S1", 80, 1000, 3601);
  EXPECT_EQ(alerts(RuleId::cartridge_overused).size(), 1u);
}

TEST_F(Cartridges, Overused_ResolvesWhenRemovedAndDeduplicatesOnOneCartridge) {
  start("PEN-1", "S1", 10, cartridge("CRT-A", "2027-06-30", 5000));
  end("PEN-1", "S1", 30, 6000);
  cycle("STER-1", steam("C1", {"PEN-1"}), 35);
  start("PEN-1", "S2", 40, cartridge("CRT-A", "2027-06-30", 5000));
  end("PEN-1", "S2", 50, 6000);
  auto fired = alerts(RuleId::cartridge_overused);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].episode.occurrences, 2);
  remove("PEN-1", "CRT-A", 51);
  fired = alerts(RuleId::cartridge_overused);
  EXPECT_EQ(fired[0].state(), AlertState::resolved);
}

}  // namespace
}  // namespace sterifleet::engine::testing
