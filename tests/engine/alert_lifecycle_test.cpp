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
