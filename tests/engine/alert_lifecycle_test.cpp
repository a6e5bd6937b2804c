// Acknowledge, resolve by hand, reopen, maintenance silence, audit records.
#include "fleet_fixture.hpp"

namespace sterifleet::engine::testing {
namespace {

// A function of its own, as FleetFixture::message: braced in a call's arguments, GCC 12 at -O2 warns
// that the temporary's strings may be destroyed uninitialised (-Wmaybe-uninitialized, a false positive).
protocol::DeviceMessage message(const std::string& device, std::uint64_t seq, protocol::Body body, double minute) {
  return {protocol::ClinicId{"north"}, {protocol::DeviceId{device}, 1, seq, at_minute(minute)}, std::move(body)};
}

class Lifecycle : public FleetFixture {
 protected:
  void SetUp() override {
    birth("PEN-1");
    start("PEN-1", "S1", 10);
    end("PEN-1", "S1", 20);
    start("PEN-1", "S2", 30);  // device.used_without_reprocessing, critical
    id_ = alerts(RuleId::used_without_reprocessing).at(0).id;
  }
  std::string id_;
};

TEST_F(Lifecycle, AcknowledgeRecordsWhoWhenAndComment) {
  const auto effects = engine_.acknowledge(id_, "token:anna", "pen taken out of service", at_minute(31));
  ASSERT_TRUE(effects.accepted());
  const Alert* alert = engine_.alert(id_);
  EXPECT_EQ(alert->state(), AlertState::acknowledged);
  EXPECT_EQ(alert->ack->by, "token:anna");
  EXPECT_EQ(alert->ack->comment, "pen taken out of service");
  ASSERT_EQ(effects.audit.size(), 1u);
  EXPECT_EQ(effects.audit[0].actor, "token:anna");
  EXPECT_EQ(effects.audit[0].action, "acknowledged");
  EXPECT_TRUE(device("PEN-1").locked);  // acknowledging does not make the pen safe
}

TEST_F(Lifecycle, AcknowledgeTwiceIsAConflict) {
  engine_.acknowledge(id_, "token:anna", "", at_minute(31));
  const auto again = engine_.acknowledge(id_, "token:anna", "", at_minute(32));
  ASSERT_TRUE(again.refusal);
  EXPECT_EQ(again.refusal->code, RefusalCode::conflict);
  EXPECT_EQ(engine_.acknowledge("nope", "token:anna", "", at_minute(32)).refusal->code, RefusalCode::not_found);
}

TEST_F(Lifecycle, ManualResolveNeedsAReasonAndUnlocks) {
  EXPECT_EQ(engine_.resolve(id_, "token:lead", "", at_minute(32)).refusal->code, RefusalCode::bad_request);
  const auto effects = engine_.resolve(id_, "token:lead", "pen swapped, patient informed", at_minute(32));
  ASSERT_TRUE(effects.accepted());
  EXPECT_EQ(engine_.alert(id_)->state(), AlertState::resolved);
  EXPECT_EQ(engine_.alert(id_)->manual->reason, "pen swapped, patient informed");
  EXPECT_FALSE(device("PEN-1").locked);
  EXPECT_EQ(lock_commands(), (std::vector<std::string>{"lock:PEN-1"}));
  ASSERT_EQ(effects.commands.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<protocol::Unlock>(effects.commands[0].body));
}

TEST_F(Lifecycle, NewOccurrenceReopensAManuallyResolvedAlert) {
  engine_.resolve(id_, "token:lead", "handled", at_minute(32));
  end("PEN-1", "S2", 40);
  const auto effects = start("PEN-1", "S3", 50);
  EXPECT_EQ(engine_.alert(id_)->state(), AlertState::open);
  EXPECT_EQ(engine_.alert(id_)->episode.occurrences, 2);
  bool reopened = false;
  for (const auto& change : effects.alerts) reopened |= change.transition == Transition::reopened;
  EXPECT_TRUE(reopened);
  EXPECT_TRUE(device("PEN-1").locked);
}

// Repeats until acknowledged are the daemon's outbox rows (daemon/notify): time passing over an open
// alert changes nothing in the engine.
TEST_F(Lifecycle, TimePassingOverAnOpenAlertChangesNothing) {
  for (const double minute : {30.0 + 15, 30.0 + 60, 30.0 + 6 * 60}) {
    const auto tick = engine_.tick(at_minute(minute));
    EXPECT_TRUE(tick.alerts.empty()) << minute;
    EXPECT_TRUE(tick.audit.empty()) << minute;
    EXPECT_TRUE(tick.commands.empty()) << minute;
  }
  EXPECT_EQ(engine_.alert(id_)->state(), AlertState::open);
}

TEST(Maintenance, AlertsInAWindowAreSilencedAndDoNotLock) {
  Engine engine(default_policy(), kStart);
  auto send = [&](std::uint64_t seq, protocol::Body body, double minute) {
    return engine.apply(message("PEN-1", seq, std::move(body), minute), at_minute(minute));
  };
  send(1, protocol::Birth{protocol::DeviceKind::pen, "Dermapen 4", "1.0", std::nullopt}, 0);
  ASSERT_TRUE(engine
                  .add_maintenance(protocol::DeviceId{"PEN-1"}, {at_minute(5), at_minute(60), "motor service"},
                                   "token:tech", at_minute(1))
                  .accepted());
  const auto effects = send(
      2, protocol::Telemetry{protocol::Percent{5}, 0s, 0, protocol::Millimetres{1}, protocol::Hertz{100}, std::nullopt},
      10);
  ASSERT_EQ(effects.alerts.size(), 1u);
  EXPECT_TRUE(effects.alerts[0].alert.silenced);
}

TEST(Audit, EveryStateChangeOfASessionIsRecorded) {
  Engine engine(default_policy(), kStart);
  std::vector<AuditRecord> trail;
  std::uint64_t seq = 0;
  auto send = [&](const std::string& device, protocol::Body body, double minute) {
    auto e = engine.apply(message(device, ++seq, std::move(body), minute), at_minute(minute));
    for (auto& a : e.audit) trail.push_back(std::move(a));
  };
  send("PEN-1", protocol::Birth{protocol::DeviceKind::pen, "Dermapen 4", "1.0", std::nullopt}, 0);
  send("PEN-1",
       protocol::SessionStart{protocol::SessionId{"S1"}, cartridge("CRT-1"), protocol::Millimetres{1},
                              protocol::Hertz{100}, protocol::OperatorId{"op"}, protocol::PatientRef{"pt"},
                              protocol::TreatmentArea::cheek},
       1);
  send("PEN-1", protocol::SessionEnd{protocol::SessionId{"S1"}, 10, 60s}, 2);
  std::vector<std::string> actions;
  for (const auto& a : trail) actions.push_back(a.entity + " " + a.action);
  EXPECT_EQ(actions,
            (std::vector<std::string>{"device:PEN-1 presence", "device:PEN-1 birth", "session:PEN-1/S1 started",
                                      "device:PEN-1 hygiene", "session:PEN-1/S1 ended", "device:PEN-1 hygiene"}));
  EXPECT_EQ(trail[3].before["hygiene"], "ready");
  EXPECT_EQ(trail[3].after["hygiene"], "in_use");
  EXPECT_EQ(trail[5].after["hygiene"], "needs_reprocessing");
}

}  // namespace
}  // namespace sterifleet::engine::testing

namespace sterifleet::engine::testing {
namespace {

// delivery.failed: a notification nobody got, as the daemon's dispatcher reports it.
DeliveryFailure dead_letter(const std::string& receiver, const std::string& alert, double minute,
                            const std::string& answer = "HTTP 410") {
  return {receiver, ClinicId{"north"}, alert, "device.used_without_reprocessing", answer, at_minute(minute)};
}

std::vector<Alert> delivery_alerts(const Engine& engine) {
  std::vector<Alert> out;
  engine.for_each_alert([&](const Alert& a) {
    if (a.rule == RuleId::delivery_failed) out.push_back(a);
  });
  return out;
}

TEST(DeliveryFailed, OpensACriticalAlertNamingTheReceiverTheAnswerAndTheLostAlert) {
  Engine engine(default_policy(), kStart);
  const auto effects = engine.delivery_failed(dead_letter("clinic-hook", "a1b2c3", 5), at_minute(5));
  ASSERT_TRUE(effects.accepted());
  ASSERT_EQ(effects.alerts.size(), 1u);
  EXPECT_EQ(effects.alerts[0].transition, Transition::opened);
  const Alert& alert = effects.alerts[0].alert;
  EXPECT_EQ(alert.rule, RuleId::delivery_failed);
  EXPECT_EQ(to_string(alert.rule), "delivery.failed");
  EXPECT_EQ(alert.severity, Severity::critical);
  EXPECT_EQ(alert.clinic.str(), "north");
  EXPECT_EQ(alert.subject, "clinic-hook");
  EXPECT_TRUE(alert.episode.device.empty());
  EXPECT_EQ(alert.episode.opened_at, at_minute(5));
  EXPECT_EQ(alert.state(), AlertState::open);
  for (const auto* part : {"clinic-hook", "a1b2c3", "device.used_without_reprocessing", "HTTP 410"}) {
    EXPECT_NE(alert.episode.summary.find(part), std::string::npos) << part << " not in: " << alert.episode.summary;
  }
  ASSERT_EQ(effects.audit.size(), 1u);
  EXPECT_EQ(effects.audit[0].action, "opened");
  EXPECT_TRUE(effects.commands.empty());
  EXPECT_TRUE(engine.has_current_alert(ClinicId{"north"}, RuleId::delivery_failed, "clinic-hook"));
}

TEST(DeliveryFailed, AnotherDeadNotificationCountsAnOccurrenceOnTheOpenAlert) {
  Engine engine(default_policy(), kStart);
  engine.delivery_failed(dead_letter("clinic-hook", "a1", 5), at_minute(5));
  const auto again = engine.delivery_failed(dead_letter("clinic-hook", "a2", 6, "timed out"), at_minute(6));
  ASSERT_EQ(again.alerts.size(), 1u);
  EXPECT_EQ(again.alerts[0].transition, Transition::occurred);
  EXPECT_EQ(again.alerts[0].alert.episode.occurrences, 2);
  // Another receiver, or another clinic, is another alert.
  engine.delivery_failed(dead_letter("mail", "a1", 7), at_minute(7));
  auto south = dead_letter("clinic-hook", "a3", 8);
  south.clinic = ClinicId{"south"};
  engine.delivery_failed(south, at_minute(8));
  EXPECT_EQ(delivery_alerts(engine).size(), 3u);
}

TEST(DeliveryFailed, ADeliveryAgainResolvesItAndALaterFailureOpensANewOne) {
  Engine engine(default_policy(), kStart);
  engine.delivery_failed(dead_letter("clinic-hook", "a1", 5), at_minute(5));
  EXPECT_TRUE(engine.delivery_recovered("mail", ClinicId{"north"}, at_minute(9)).alerts.empty());
  EXPECT_TRUE(engine.delivery_recovered("clinic-hook", ClinicId{"south"}, at_minute(9)).alerts.empty());
  const auto cleared = engine.delivery_recovered("clinic-hook", ClinicId{"north"}, at_minute(10));
  ASSERT_EQ(cleared.alerts.size(), 1u);
  EXPECT_EQ(cleared.alerts[0].transition, Transition::resolved);
  EXPECT_EQ(cleared.alerts[0].alert.episode.clearance, "delivered again");
  EXPECT_EQ(cleared.alerts[0].alert.episode.cleared_at, at_minute(10));
  EXPECT_FALSE(engine.has_current_alert(ClinicId{"north"}, RuleId::delivery_failed, "clinic-hook"));
  EXPECT_TRUE(engine.delivery_recovered("clinic-hook", ClinicId{"north"}, at_minute(11)).alerts.empty());

  const auto anew = engine.delivery_failed(dead_letter("clinic-hook", "a4", 20), at_minute(20));
  ASSERT_EQ(anew.alerts.size(), 1u);
  EXPECT_EQ(anew.alerts[0].transition, Transition::opened);
  EXPECT_NE(anew.alerts[0].alert.id, cleared.alerts[0].alert.id);
  EXPECT_EQ(delivery_alerts(engine).size(), 2u);
}

TEST(DeliveryFailed, IsAcknowledgedAndResolvedByPeopleLikeAnyAlert) {
  Engine engine(default_policy(), kStart);
  const auto id = engine.delivery_failed(dead_letter("clinic-hook", "a1", 5), at_minute(5)).alerts.at(0).alert.id;
  ASSERT_TRUE(engine.acknowledge(id, "token:it", "re-enabling the hook", at_minute(6)).accepted());
  EXPECT_EQ(engine.alert(id)->state(), AlertState::acknowledged);
  ASSERT_TRUE(engine.resolve(id, "token:it", "hook fixed", at_minute(7)).accepted());
  EXPECT_EQ(engine.alert(id)->state(), AlertState::resolved);
  // The condition still held: another dead notification reopens it.
  const auto recurred = engine.delivery_failed(dead_letter("clinic-hook", "a2", 8), at_minute(8));
  ASSERT_EQ(recurred.alerts.size(), 1u);
  EXPECT_EQ(recurred.alerts[0].transition, Transition::reopened);
}

TEST(DeliveryFailed, FollowsThePolicyAndRefusesAFailureWithoutReceiverOrClinic) {
  Policy off = default_policy();
  off.rule(RuleId::delivery_failed).enabled = false;
  Engine quiet(off, kStart);
  EXPECT_TRUE(quiet.delivery_failed(dead_letter("clinic-hook", "a1", 5), at_minute(5)).alerts.empty());

  Engine engine(default_policy(), kStart);
  auto nameless = dead_letter("", "a1", 5);
  EXPECT_EQ(engine.delivery_failed(nameless, at_minute(5)).refusal->code, RefusalCode::bad_request);
  auto no_clinic = dead_letter("clinic-hook", "a1", 5);
  no_clinic.clinic = ClinicId{};
  EXPECT_EQ(engine.delivery_failed(no_clinic, at_minute(5)).refusal->code, RefusalCode::bad_request);
  EXPECT_TRUE(delivery_alerts(engine).empty());
}

TEST(DeliveryFailed, SurvivesASnapshot) {
  Engine engine(default_policy(), kStart);
  engine.delivery_failed(dead_letter("clinic-hook", "a1", 5), at_minute(5));
  engine.delivery_failed(dead_letter("clinic-hook", "a2", 6), at_minute(6));
  Engine restored = Engine::from_snapshot(default_policy(), engine.snapshot());
  EXPECT_EQ(restored.snapshot(), engine.snapshot());
  const auto alerts = delivery_alerts(restored);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].episode.occurrences, 2);
  EXPECT_EQ(restored.delivery_recovered("clinic-hook", ClinicId{"north"}, at_minute(9)).alerts.size(), 1u);
}

}  // namespace
}  // namespace sterifleet::engine::testing
