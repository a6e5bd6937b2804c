// Rules over one device's own messages: battery, service, depth, offline, unknown device,
// identity mismatch, sequence gaps.
#include "fleet_fixture.hpp"

namespace sterifleet::engine::testing {
namespace {

class DeviceRules : public FleetFixture {
 protected:
  void SetUp() override { birth("PEN-1"); }
};

TEST_F(DeviceRules, BatteryLow_FiresBelowThreshold) {
  telemetry("PEN-1", 14.9, 10);
  const auto fired = alerts(RuleId::battery_low);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject, "PEN-1");
  EXPECT_EQ(fired[0].severity, Severity::warning);
}

TEST_F(DeviceRules, BatteryLow_QuietAtThreshold) {
  telemetry("PEN-1", 15.0, 10);
  EXPECT_EQ(alert_count(), 0u);
}

TEST_F(DeviceRules, BatteryLow_DeduplicatesAndResolvesOnlyAtClearLevel) {
  telemetry("PEN-1", 14, 10);
  telemetry("PEN-1", 12, 11);
  telemetry("PEN-1", 24.9, 12);  // above threshold, below clear: still low
  ASSERT_EQ(alerts(RuleId::battery_low).size(), 1u);
  EXPECT_EQ(alerts(RuleId::battery_low)[0].state(), AlertState::open);
  telemetry("PEN-1", 25, 13);
  EXPECT_EQ(alerts(RuleId::battery_low)[0].state(), AlertState::resolved);
  telemetry("PEN-1", 10, 14);
  EXPECT_EQ(alerts(RuleId::battery_low).size(), 2u);
}

TEST_F(DeviceRules, ServiceDue_FiresPastTheInterval) {
  telemetry("PEN-1", 90, 10, 500 * 3600 + 1);
  EXPECT_EQ(alerts(RuleId::service_due).size(), 1u);
}

TEST_F(DeviceRules, ServiceDue_QuietAtTheInterval) {
  telemetry("PEN-1", 90, 10, 500 * 3600);
  EXPECT_EQ(alert_count(), 0u);
}

TEST_F(DeviceRules, ServiceDue_DeduplicatesAndResolvesWhenCounterResets) {
  telemetry("PEN-1", 90, 10, 500 * 3600 + 1);
  telemetry("PEN-1", 90, 11, 500 * 3600 + 60);
  ASSERT_EQ(alerts(RuleId::service_due).size(), 1u);
  telemetry("PEN-1", 90, 12, 0);
  EXPECT_EQ(alerts(RuleId::service_due)[0].state(), AlertState::resolved);
}

TEST_F(DeviceRules, DepthExceeds_FiresAboveAreaLimit) {
  start("PEN-1", "S1", 10, {}, 0.51, protocol::TreatmentArea::neck);
  const auto fired = alerts(RuleId::depth_exceeds_policy);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject, "PEN-1/S1");
}

TEST_F(DeviceRules, DepthExceeds_QuietAtAreaLimit) {
  start("PEN-1", "S1", 10, {}, 0.5, protocol::TreatmentArea::neck);
  EXPECT_EQ(alert_count(), 0u);
}

TEST_F(DeviceRules, DepthExceeds_TelemetryDuringSessionDeduplicatesAndResolvesBackWithinLimit) {
  start("PEN-1", "S1", 10, {}, 0.5, protocol::TreatmentArea::neck);
  telemetry("PEN-1", 90, 11, 3600, "S1", 0.8);
  telemetry("PEN-1", 90, 12, 3600, "S1", 0.9);
  auto fired = alerts(RuleId::depth_exceeds_policy);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::open);
  telemetry("PEN-1", 90, 13, 3600, "S1", 0.5);
  fired = alerts(RuleId::depth_exceeds_policy);
  EXPECT_EQ(fired[0].state(), AlertState::resolved);
}

TEST_F(DeviceRules, DepthExceeds_ResolvesWhenSessionEnds) {
  start("PEN-1", "S1", 10, {}, 2.0, protocol::TreatmentArea::cheek);
  end("PEN-1", "S1", 30);
  EXPECT_EQ(alerts(RuleId::depth_exceeds_policy)[0].state(), AlertState::resolved);
}

TEST_F(DeviceRules, Unknown_FiresAndRequestsRebirthThenResolvesOnBirth) {
  const auto effects = telemetry("PEN-9", 90, 10);
  const auto fired = alerts(RuleId::device_unknown);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject, "PEN-9");
  ASSERT_EQ(effects.commands.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<protocol::Rebirth>(effects.commands[0].body));
  const auto again = telemetry("PEN-9", 90, 11);
  EXPECT_TRUE(again.commands.empty());  // deduplicated: no second rebirth
  EXPECT_EQ(alerts(RuleId::device_unknown).size(), 1u);
  birth("PEN-9", protocol::DeviceKind::pen, 12);
  EXPECT_EQ(alerts(RuleId::device_unknown)[0].state(), AlertState::resolved);
}

TEST_F(DeviceRules, Unknown_QuietWhenBirthComesFirst) {
  EXPECT_EQ(alert_count(), 0u);
  telemetry("PEN-1", 90, 10);
  EXPECT_EQ(alert_count(), 0u);
}

TEST_F(DeviceRules, IdentityMismatch_FiresLocksAndResolvesOnNextCorrectMessage) {
  const auto effects = receive("PEN-1", "telemetry", payload("PEN-2", telemetry_body(), 10), 10).effects;
  const auto fired = alerts(RuleId::identity_mismatch);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].severity, Severity::critical);
  ASSERT_EQ(effects.commands.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<protocol::Lock>(effects.commands[0].body));
  receive("PEN-1", "telemetry", payload("PEN-2", telemetry_body(), 11), 11);
  EXPECT_EQ(alerts(RuleId::identity_mismatch)[0].episode.occurrences, 2);
  const auto cleared = telemetry("PEN-1", 90, 12);
  EXPECT_EQ(alerts(RuleId::identity_mismatch)[0].state(), AlertState::resolved);
  ASSERT_EQ(cleared.commands.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<protocol::Unlock>(cleared.commands[0].body));
}

// Its trigger is the receipt time: a second mismatch in the same millisecond, after a correct message
// cleared the first, is the same alert recurring (a second alert under its id broke compaction).
TEST_F(DeviceRules, IdentityMismatch_SameMillisecondAfterClearingReopensTheSameAlert) {
  receive("PEN-1", "telemetry", payload("PEN-2", telemetry_body(), 10), 10);
  telemetry("PEN-1", 90, 10);
  const auto again = receive("PEN-1", "telemetry", payload("PEN-2", telemetry_body(), 10), 10).effects;
  ASSERT_EQ(again.alerts.size(), 1u);
  EXPECT_EQ(again.alerts[0].transition, Transition::reopened);
  const auto fired = alerts(RuleId::identity_mismatch);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::open);
  EXPECT_EQ(fired[0].episode.occurrences, 2);
  telemetry("PEN-1", 90, 11);
  EXPECT_EQ(alerts(RuleId::identity_mismatch)[0].state(), AlertState::resolved);
  EXPECT_NO_THROW(engine_.compact(at_minute(3 * 24 * 60)));
  EXPECT_TRUE(alerts(RuleId::identity_mismatch).empty());
}

TEST_F(DeviceRules, IdentityMismatch_QuietForOtherRejections) {
  receive("PEN-1", "telemetry", "{not json", 10);
  EXPECT_EQ(alert_count(), 0u);
}

class Sequences : public FleetFixture {
 protected:
  Effects send_seq(std::uint64_t seq, double minute, std::uint32_t boot = 1) {
    protocol::DeviceMessage m{protocol::ClinicId{"north"},
                              {protocol::DeviceId{"PEN-1"}, boot, seq, at_minute(minute)},
                              protocol::Telemetry{protocol::Percent{90}, 0s, 0, protocol::Millimetres{1},
                                                  protocol::Hertz{100}, std::nullopt}};
    if (seq == 1) m.body = protocol::Birth{protocol::DeviceKind::pen, "Dermapen 4", "1.0", std::nullopt};
    return engine_.apply(m, at_minute(minute));
  }
};

TEST_F(Sequences, Gap_FiresAndRequestsReplayOfTheMissingRange) {
  send_seq(1, 1);
  send_seq(2, 2);
  const auto effects = send_seq(5, 5);
  const auto fired = alerts(RuleId::sequence_gap);
  ASSERT_EQ(fired.size(), 1u);
  ASSERT_EQ(effects.commands.size(), 1u);
  const auto* replay = std::get_if<protocol::Replay>(&effects.commands[0].body);
  ASSERT_NE(replay, nullptr);
  EXPECT_EQ(replay->boot, 1u);
  EXPECT_EQ(replay->from_seq, 3u);
  EXPECT_EQ(replay->to_seq, 4u);
}

TEST_F(Sequences, Gap_QuietForConsecutiveNumbersAndNewBoots) {
  send_seq(1, 1);
  send_seq(2, 2);
  send_seq(1, 3, 2);
  send_seq(2, 4, 2);
  EXPECT_EQ(alert_count(), 0u);
}

TEST_F(Sequences, Gap_DeduplicatesAndResolvesWhenFilled) {
  send_seq(1, 1);
  send_seq(3, 3);
  send_seq(6, 6);
  ASSERT_EQ(alerts(RuleId::sequence_gap).size(), 1u);
  EXPECT_EQ(alerts(RuleId::sequence_gap)[0].episode.occurrences, 2);
  send_seq(2, 2);
  send_seq(4, 4);
  EXPECT_EQ(alerts(RuleId::sequence_gap)[0].state(), AlertState::open);
  EXPECT_TRUE(send_seq(5, 5).accepted());
  EXPECT_EQ(alerts(RuleId::sequence_gap)[0].state(), AlertState::resolved);
}

TEST_F(Sequences, Duplicate_IsRefusedAndChangesNothing) {
  send_seq(1, 1);
  send_seq(2, 2);
  const auto again = send_seq(2, 2);
  ASSERT_TRUE(again.refusal);
  EXPECT_EQ(again.refusal->code, RefusalCode::duplicate);
  EXPECT_TRUE(again.alerts.empty() && again.audit.empty());
}

TEST_F(Sequences, Regression_OldBootAfterNewIsRefused) {
  send_seq(1, 1, 5);
  send_seq(1, 2, 6);
  const auto stale = send_seq(7, 3, 5);
  ASSERT_TRUE(stale.refusal);
  EXPECT_EQ(stale.refusal->code, RefusalCode::sequence_regression);
  const auto older = send_seq(1, 4, 4);
  ASSERT_TRUE(older.refusal);
  EXPECT_EQ(older.refusal->code, RefusalCode::sequence_regression);
}

class Offline : public FleetFixture {
 protected:
  Effects status(bool online, bool shutdown, double minute) {
    auto e = engine_.apply(
        protocol::StatusMessage{protocol::ClinicId{"north"}, protocol::DeviceId{"PEN-1"}, 1, online, shutdown},
        at_minute(minute));
    return e;
  }
  void SetUp() override { send("PEN-1", protocol::Birth{protocol::DeviceKind::pen, "Dermapen 4", "1.0", 120s}, 0); }
};

TEST_F(Offline, FiresWhenSilentLongerThanDeclaredHeartbeat) {
  status(true, false, 0);
  engine_.tick(at_minute(2));  // exactly the heartbeat: not yet
  EXPECT_TRUE(alerts(RuleId::device_offline).empty());
  engine_.tick(at_minute(2.01));
  const auto fired = alerts(RuleId::device_offline);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject, "PEN-1");
}

TEST_F(Offline, FiresAfterLastWillWhenNotBackWithinGrace) {
  status(false, false, 1);
  engine_.tick(at_minute(2));
  EXPECT_TRUE(alerts(RuleId::device_offline).empty());
  engine_.tick(at_minute(3.5));
  EXPECT_EQ(alerts(RuleId::device_offline).size(), 1u);
  engine_.tick(at_minute(10));
  EXPECT_EQ(alerts(RuleId::device_offline).size(), 1u);  // deduplicated
}

TEST_F(Offline, QuietAfterLastWillUntilTheGraceHasPassed) {
  status(false, false, 1);
  engine_.tick(at_minute(3));  // exactly the declared 120 s since the last will
  EXPECT_TRUE(alerts(RuleId::device_offline).empty());
  engine_.tick(at_minute(3) + 1ms);
  EXPECT_EQ(alerts(RuleId::device_offline).size(), 1u);
}

TEST_F(Offline, QuietAfterOrderlyShutdown) {
  status(false, true, 1);
  engine_.tick(at_minute(600));
  EXPECT_TRUE(alerts(RuleId::device_offline).empty());
}

TEST_F(Offline, ResolvesOnAnyMessage) {
  status(false, false, 1);
  engine_.tick(at_minute(10));
  ASSERT_EQ(alerts(RuleId::device_offline).size(), 1u);
  telemetry("PEN-1", 80, 11);
  EXPECT_EQ(alerts(RuleId::device_offline)[0].state(), AlertState::resolved);
}

TEST_F(Offline, DaemonStartIsTheEarliestSilence) {
  Engine engine(default_policy(), at_minute(100));
  engine.apply(protocol::StatusMessage{protocol::ClinicId{"north"}, protocol::DeviceId{"PEN-2"}, 1, false, false},
               at_minute(0));
  engine.tick(at_minute(101));  // long silent, but the daemon only started a minute ago
  std::size_t n = 0;
  engine.for_each_alert([&](const Alert&) { ++n; });
  EXPECT_EQ(n, 0u);
}

}  // namespace
}  // namespace sterifleet::engine::testing
