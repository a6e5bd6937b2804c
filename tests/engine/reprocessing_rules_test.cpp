// device.used_without_reprocessing, device.sterility_expired and the locks they cause.
#include <nlohmann/json.hpp>

#include "fleet_fixture.hpp"

namespace sterifleet::engine::testing {
namespace {

class Reprocessing : public FleetFixture {
 protected:
  void SetUp() override {
    birth("PEN-1");
    birth("STER-1", protocol::DeviceKind::sterilizer);
    bowie_dick("STER-1", true, 1);
  }
};

TEST_F(Reprocessing, UsedWithoutReprocessing_FiresOnSecondSessionWithoutCycle) {
  start("PEN-1", "S1", 10);
  end("PEN-1", "S1", 40);
  start("PEN-1", "S2", 60);
  const auto fired = alerts(RuleId::used_without_reprocessing);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject, "PEN-1");
  EXPECT_EQ(fired[0].severity, Severity::critical);
  EXPECT_EQ(fired[0].episode.opened_at, at_minute(60));
  EXPECT_EQ(fired[0].state(), AlertState::open);
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::in_use);
}

TEST_F(Reprocessing, UsedWithoutReprocessing_QuietWhenCycleBetweenSessions) {
  start("PEN-1", "S1", 10);
  end("PEN-1", "S1", 40);
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::needs_reprocessing);
  cycle("STER-1", steam("C1", {"PEN-1"}), 50);
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::ready);
  start("PEN-1", "S2", 60);
  EXPECT_TRUE(alerts(RuleId::used_without_reprocessing).empty());
}

TEST_F(Reprocessing, UsedWithoutReprocessing_QuietForABrandNewPen) {
  start("PEN-1", "S1", 10);
  EXPECT_EQ(alert_count(), 0u);
}

TEST_F(Reprocessing, UsedWithoutReprocessing_CycleAtTheSameMomentAsTheEndCountsNotBefore) {
  start("PEN-1", "S1", 10);
  end("PEN-1", "S1", 40);
  cycle("STER-1", steam("C0", {"PEN-1"}), 40);  // exactly at the end: before is not after
  start("PEN-1", "S2", 60);
  EXPECT_EQ(alerts(RuleId::used_without_reprocessing).size(), 1u);
}

// The resolving side of the same boundary: a cycle that does not count before the next session does
// not clear the alert either (nor unlock a pen that still needs reprocessing).
TEST_F(Reprocessing, UsedWithoutReprocessing_CycleAtTheSameMomentAsTheEndDoesNotResolveEither) {
  start("PEN-1", "S1", 10);
  end("PEN-1", "S1", 40);
  start("PEN-1", "S2", 60);
  end("PEN-1", "S2", 80);
  cycle("STER-1", steam("C1", {"PEN-1"}), 80);
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::needs_reprocessing);
  auto fired = alerts(RuleId::used_without_reprocessing);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::open);
  EXPECT_TRUE(device("PEN-1").locked);
  start("PEN-1", "S3", 100);
  fired = alerts(RuleId::used_without_reprocessing);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].episode.occurrences, 2);
}

TEST_F(Reprocessing, UsedWithoutReprocessing_QuietWhenTheCycleIsOneMillisecondAfterTheEnd) {
  start("PEN-1", "S1", 10);
  end("PEN-1", "S1", 40);
  send_at("STER-1", steam("C1", {"PEN-1"}), at_minute(40) + 1ms);
  start("PEN-1", "S2", 60);
  EXPECT_TRUE(alerts(RuleId::used_without_reprocessing).empty());
  EXPECT_TRUE(lock_commands().empty());
}

TEST_F(Reprocessing, UsedWithoutReprocessing_InsufficientCycleDoesNotCount) {
  start("PEN-1", "S1", 10);
  end("PEN-1", "S1", 40);
  cycle("STER-1", steam("C1", {"PEN-1"}, 134, 239), 50);  // one second short
  start("PEN-1", "S2", 60);
  EXPECT_EQ(alerts(RuleId::used_without_reprocessing).size(), 1u);
}

TEST_F(Reprocessing, UsedWithoutReprocessing_InterruptedSessionCountsAsUse) {
  start("PEN-1", "S1", 10);
  start("PEN-1", "S2", 30);  // no end for S1
  EXPECT_EQ(alerts(RuleId::used_without_reprocessing).size(), 1u);
}

// A start the codec refuses (here an expiry that is not a date) is never judged, but its session's end
// still says that the pen was used until then: the next session needs a reprocessing after that end.
class UnjudgedSession : public Reprocessing {
 protected:
  void refused_start(const std::string& session, double minute) {
    auto payload =
        nlohmann::json::parse(this->payload("PEN-1", session_start(session, cartridge("CRT-" + session)), minute));
    payload["body"]["cartridge"]["expires"] = "10/2028";
    ASSERT_EQ(receive("PEN-1", "event", payload.dump(), minute).disposition, Disposition::quarantined);
  }
  void SetUp() override {
    Reprocessing::SetUp();
    start("PEN-1", "S1", 10);
    end("PEN-1", "S1", 40);
    cycle("STER-1", steam("C1", {"PEN-1"}), 50);
    refused_start("S2", 60);
  }
};

TEST_F(UnjudgedSession, ItsEndMakesThePenNeedReprocessing_AndTheNextSessionWithoutOneFires) {
  end("PEN-1", "S2", 80);
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::needs_reprocessing);
  start("PEN-1", "S3", 100);
  const auto fired = alerts(RuleId::used_without_reprocessing);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].episode.opened_at, at_minute(100));
}

TEST_F(UnjudgedSession, ItsEndArrivingAfterTheNextStart_StillFires) {
  start("PEN-1", "S3", 100);
  EXPECT_TRUE(alerts(RuleId::used_without_reprocessing).empty());
  end("PEN-1", "S2", 80);
  const auto fired = alerts(RuleId::used_without_reprocessing);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].episode.opened_at, at_minute(100));
}

TEST_F(UnjudgedSession, ItsEndCompactedAway_StillBoundsTheNextSession) {
  end("PEN-1", "S2", 80);
  engine_.compact(at_minute(90));
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::needs_reprocessing);
  start("PEN-1", "S3", 100);
  EXPECT_EQ(alerts(RuleId::used_without_reprocessing).size(), 1u);
}

TEST_F(UnjudgedSession, ACycleAfterItsEnd_KeepsTheNextSessionQuiet) {
  end("PEN-1", "S2", 80);
  cycle("STER-1", steam("C2", {"PEN-1"}), 90);
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::ready);
  start("PEN-1", "S3", 100);
  EXPECT_TRUE(alerts(RuleId::used_without_reprocessing).empty());
}

TEST_F(Reprocessing, UsedWithoutReprocessing_DeduplicatesWhileOpen) {
  start("PEN-1", "S1", 10);
  end("PEN-1", "S1", 40);
  start("PEN-1", "S2", 60);
  end("PEN-1", "S2", 80);
  start("PEN-1", "S3", 100);
  const auto fired = alerts(RuleId::used_without_reprocessing);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].episode.occurrences, 2);
}

TEST_F(Reprocessing, UsedWithoutReprocessing_ResolvesAutomaticallyOnValidCycleAndUnlocks) {
  start("PEN-1", "S1", 10);
  end("PEN-1", "S1", 40);
  start("PEN-1", "S2", 60);
  end("PEN-1", "S2", 80);
  EXPECT_EQ(lock_commands(), (std::vector<std::string>{"lock:PEN-1"}));
  EXPECT_TRUE(device("PEN-1").locked);
  cycle("STER-1", steam("C1", {"PEN-1"}), 90);
  const auto fired = alerts(RuleId::used_without_reprocessing);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::resolved);
  EXPECT_EQ(fired[0].episode.cleared_at, at_minute(90));
  EXPECT_EQ(lock_commands(), (std::vector<std::string>{"lock:PEN-1", "unlock:PEN-1"}));
  start("PEN-1", "S3", 100);
  EXPECT_EQ(alerts(RuleId::used_without_reprocessing).size(), 1u);
}

TEST_F(Reprocessing, UsedWithoutReprocessing_LateCycleWithdrawsTheAlert) {
  start("PEN-1", "S1", 10);
  end("PEN-1", "S1", 40);
  start("PEN-1", "S2", 60);
  ASSERT_EQ(alerts(RuleId::used_without_reprocessing).size(), 1u);
  const auto effects = cycle("STER-1", steam("C1", {"PEN-1"}), 50);  // arrives late, happened in between
  EXPECT_TRUE(alerts(RuleId::used_without_reprocessing).empty());
  ASSERT_FALSE(effects.alerts.empty());
  EXPECT_EQ(effects.alerts.front().transition, Transition::withdrawn);
  EXPECT_EQ(lock_commands(), (std::vector<std::string>{"lock:PEN-1", "unlock:PEN-1"}));
}

TEST_F(Reprocessing, SessionRecordsNameTheReprocessingThatMadeThemLegal) {
  auto effects = start("PEN-1", "S1", 10);
  ASSERT_EQ(effects.sessions.size(), 1u);
  EXPECT_EQ(effects.sessions[0].session.clearance, "first use");
  end("PEN-1", "S1", 40);
  effects = start("PEN-1", "S2", 60);
  ASSERT_EQ(effects.sessions.size(), 1u);
  EXPECT_EQ(effects.sessions[0].session.clearance, "");   // a violation
  effects = cycle("STER-1", steam("C1", {"PEN-1"}), 50);  // late: it happened before S2
  ASSERT_EQ(effects.sessions.size(), 1u);
  EXPECT_EQ(effects.sessions[0].session.id.str(), "S2");
  EXPECT_EQ(effects.sessions[0].session.clearance, "STER-1/C1");
  ASSERT_EQ(effects.cycles.size(), 1u);
  EXPECT_EQ(effects.cycles[0].cycle.key, "STER-1/C1");
}

// PEN-1 used once and reprocessed by C1 at minute 50; PEN-2 moves the clinic clock.
class ReprocessedPen : public FleetFixture {
 protected:
  using FleetFixture::FleetFixture;
  void SetUp() override {
    birth("PEN-1");
    birth("PEN-2");
    birth("STER-1", protocol::DeviceKind::sterilizer);
    bowie_dick("STER-1", true, 1);
    start("PEN-1", "S1", 10);
    end("PEN-1", "S1", 40);
    cycle("STER-1", steam("C1", {"PEN-1"}), 50);
  }
};

class ShelfLife : public ReprocessedPen {
 protected:
  static Policy with_shelf_life() {
    Policy p = default_policy();
    p.shelf_life = 24h;
    return p;
  }
  ShelfLife() : ReprocessedPen(with_shelf_life()) {}
};

TEST_F(ShelfLife, SterilityExpired_FiresWhenClinicClockPassesShelfLife) {
  telemetry("PEN-2", 90, 50 + 24 * 60 + 1);  // another device moves the clinic clock past the deadline
  const auto fired = alerts(RuleId::sterility_expired);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject, "PEN-1");
  EXPECT_EQ(fired[0].episode.opened_at, at_minute(50 + 24 * 60));
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::needs_reprocessing);
}

TEST_F(ShelfLife, SterilityExpired_QuietWhenUsedExactlyAtShelfLife) {
  start("PEN-1", "S2", 50 + 24 * 60);
  telemetry("PEN-2", 90, 50 + 48 * 60);
  EXPECT_TRUE(alerts(RuleId::sterility_expired).empty());
  EXPECT_TRUE(alerts(RuleId::used_without_reprocessing).empty());
}

// "Fires when clinic time passes the deadline": a session may still start at the deadline itself.
TEST_F(ShelfLife, SterilityExpired_QuietWhileTheClinicClockIsExactlyAtTheDeadline) {
  const auto effects = telemetry("PEN-2", 90, 50 + 24 * 60);
  EXPECT_TRUE(alerts(RuleId::sterility_expired).empty());
  EXPECT_TRUE(effects.alerts.empty());
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::ready);
  send_at("PEN-2",
          protocol::Telemetry{protocol::Percent{90}, 3600s, 1000, protocol::Millimetres{1}, protocol::Hertz{100},
                              std::nullopt},
          at_minute(50 + 24 * 60) + 1ms);
  EXPECT_EQ(alerts(RuleId::sterility_expired).size(), 1u);
}

TEST_F(ShelfLife, SterilityExpired_UseAfterShelfLifeIsAlsoUseWithoutReprocessing) {
  start("PEN-1", "S2", 50 + 24 * 60 + 1);
  EXPECT_EQ(alerts(RuleId::sterility_expired).size(), 1u);
  EXPECT_EQ(alerts(RuleId::used_without_reprocessing).size(), 1u);
}

TEST_F(ShelfLife, SterilityExpired_DeduplicatesAndResolvesOnReprocessing) {
  telemetry("PEN-2", 90, 50 + 24 * 60 + 1);
  telemetry("PEN-2", 90, 50 + 30 * 60);
  ASSERT_EQ(alerts(RuleId::sterility_expired).size(), 1u);
  cycle("STER-1", steam("C2", {"PEN-1"}), 50 + 31 * 60);
  const auto fired = alerts(RuleId::sterility_expired);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::resolved);
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::ready);
}

// The default is event-related sterility (no shelf life): a reprocessed pen stays ready however long
// it waits, and using it a month later is neither expired nor use without reprocessing.
using EventRelatedSterility = ReprocessedPen;

TEST_F(EventRelatedSterility, SterilityExpired_QuietHoweverLongAReprocessedPenWaits) {
  const auto month_later = 50 + 30 * 24 * 60;
  telemetry("PEN-2", 90, month_later);  // the clinic clock moves a month on
  EXPECT_TRUE(alerts(RuleId::sterility_expired).empty());
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::ready);
  start("PEN-1", "S2", month_later + 1);
  EXPECT_TRUE(alerts(RuleId::sterility_expired).empty());
  EXPECT_TRUE(alerts(RuleId::used_without_reprocessing).empty());
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::in_use);
}

}  // namespace
}  // namespace sterifleet::engine::testing
