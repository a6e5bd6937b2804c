// Engine::receive, the one path a raw message takes in the daemon and in replay: drift is accepted and
// warned about once per device and field, a rejected event never passes silently, a rejected message's
// sequence number counts as received.
#include <nlohmann/json.hpp>

#include "fleet_fixture.hpp"
#include "sterifleet/testing/field_table.hpp"

namespace sterifleet::engine::testing {
namespace {

using nlohmann::json;

class Intake : public FleetFixture {
 protected:
  void SetUp() override { birth("PEN-1"); }

  /// The payload of PEN-1's next message with `path` set to `value` (the field added if absent).
  std::string altered(Body body, double minute, const std::string& path, const json& value) {
    auto payload = json::parse(payload_of("PEN-1", std::move(body), minute));
    payload[json::json_pointer(path)] = value;
    return payload.dump();
  }
  std::string payload_of(const std::string& device, Body body, double minute) {
    return payload(device, std::move(body), minute);
  }
  protocol::SessionStart start_body(const std::string& session, double depth = 0.4) {
    return session_start(session, cartridge("CRT-" + session), depth);
  }
};

TEST_F(Intake, UnlistedArea_IsAcceptedAndJudgedByTheStrictestDepthLimit) {
  const auto judged = receive("PEN-1", "event", altered(start_body("S1", 0.6), 10, "/body/area", "face"), 10);
  ASSERT_EQ(judged.disposition, Disposition::accepted) << judged.detail;
  const auto drift = alerts(RuleId::protocol_drift);
  ASSERT_EQ(drift.size(), 1u);
  EXPECT_EQ(drift[0].subject, "PEN-1/body/area");
  EXPECT_EQ(drift[0].severity, Severity::warning);
  EXPECT_NE(drift[0].episode.summary.find("\"face\""), std::string::npos) << drift[0].episode.summary;
  // 0.6 mm is within the cheek's 1.5 mm but above the strictest limit (0.5 mm).
  const auto deep = alerts(RuleId::depth_exceeds_policy);
  ASSERT_EQ(deep.size(), 1u);
  EXPECT_EQ(deep[0].subject, "PEN-1/S1");
  EXPECT_EQ(device("PEN-1").sessions.size(), 1u);
}

// Further messages with the same drift change nothing: no transition, no audit record each.
TEST_F(Intake, Drift_OneWarningPerDeviceAndField) {
  receive("PEN-1", "event", altered(start_body("S1"), 10, "/body/area", "face"), 10);
  const auto again = receive("PEN-1", "event", altered(start_body("S2"), 30, "/body/area", "jawline"), 30);
  EXPECT_TRUE(std::none_of(again.effects.alerts.begin(), again.effects.alerts.end(),
                           [](const AlertChange& c) { return c.alert.rule == RuleId::protocol_drift; }));
  receive("PEN-1", "telemetry", altered(telemetry_body(), 31, "/body/x_vendor", 1), 31);
  const auto drift = alerts(RuleId::protocol_drift);
  ASSERT_EQ(drift.size(), 2u);
  EXPECT_EQ(drift[0].subject, "PEN-1/body/area");
  EXPECT_NE(drift[0].episode.summary.find("\"face\""), std::string::npos);
  EXPECT_EQ(drift[1].subject, "PEN-1/body/x_vendor");
  EXPECT_EQ(device("PEN-1").drift.at("/body/area").messages, 2);
}

TEST_F(Intake, Drift_FieldNamesAreEscapedAndADeviceInventingThemGetsOneWarningForTheRest) {
  receive("PEN-1", "telemetry", altered(telemetry_body(), 10, "/body/a~1b", 1), 10);
  EXPECT_EQ(alerts(RuleId::protocol_drift)[0].subject, "PEN-1/body/a~1b");
  for (int i = 0; i < 40; ++i) {
    receive("PEN-1", "telemetry", altered(telemetry_body(), 11 + i, "/body/x" + std::to_string(i), 1), 11 + i);
  }
  EXPECT_EQ(alerts(RuleId::protocol_drift).size(), 33u);  // 32 fields named, then one for the others
  EXPECT_EQ(device("PEN-1").drift.size(), 33u);
}

TEST_F(Intake, Drift_TheEarliestMessageByDeviceTimeOpensIt) {
  const auto early = altered(start_body("S1"), 10, "/body/area", "face");
  const auto later = altered(start_body("S2"), 30, "/body/area", "face");
  receive("PEN-1", "event", later, 30);
  receive("PEN-1", "event", early, 31);
  const auto drift = alerts(RuleId::protocol_drift);
  ASSERT_EQ(drift.size(), 1u);
  EXPECT_EQ(drift[0].episode.opened_at, at_minute(10));
}

TEST_F(Intake, RejectedEvent_RaisesACriticalAlertThatLocksThePenAndOutlivesGoodTraffic) {
  const auto judged =
      receive("PEN-1", "event", altered(start_body("S1"), 10, "/body/cartridge/expires", "06/2027"), 10, 42);
  ASSERT_EQ(judged.disposition, Disposition::quarantined);
  EXPECT_EQ(judged.reason, "bad_timestamp");
  const auto fired = alerts(RuleId::event_rejected);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].severity, Severity::critical);
  EXPECT_EQ(fired[0].subject, "PEN-1/1/2");
  EXPECT_EQ(fired[0].episode.trigger, "quarantine:42");
  for (const auto* part : {"PEN-1", "session.start", "bad_timestamp", "/body/cartridge/expires", "quarantine:42"}) {
    EXPECT_NE(fired[0].episode.summary.find(part), std::string::npos) << part << " in " << fired[0].episode.summary;
  }
  EXPECT_EQ(lock_commands(), std::vector<std::string>{"lock:PEN-1"});
  telemetry("PEN-1", 90, 11);
  start("PEN-1", "S2", 20);
  EXPECT_EQ(alerts(RuleId::event_rejected)[0].state(), AlertState::open);
  engine_.resolve(fired[0].id, "token:anna", "looked at the quarantined start: a label misprint", at_minute(30));
  EXPECT_EQ(alerts(RuleId::event_rejected)[0].state(), AlertState::resolved);
}

TEST_F(Intake, RejectedMessage_ItsSequenceNumberCountsAsReceived) {
  receive("PEN-1", "event", altered(start_body("S1"), 10, "/body/depth_mm", 9), 10);
  telemetry("PEN-1", 90, 11);
  EXPECT_TRUE(alerts(RuleId::sequence_gap).empty());
  EXPECT_EQ(alerts(RuleId::event_rejected).size(), 1u);
}

TEST_F(Intake, RejectedTelemetry_RaisesNothingButCountsItsSequenceNumber) {
  const auto judged = receive("PEN-1", "telemetry", altered(telemetry_body(), 10, "/body/battery_pct", 101), 10);
  EXPECT_EQ(judged.disposition, Disposition::quarantined);
  telemetry("PEN-1", 90, 11);
  EXPECT_EQ(alert_count(), 0u);
}

TEST_F(Intake, ARealGapStillRaisesOne) {
  payload("PEN-1", telemetry_body(), 10);  // its seq is taken and never sent
  telemetry("PEN-1", 90, 11);
  EXPECT_EQ(alerts(RuleId::sequence_gap).size(), 1u);
}

TEST_F(Intake, RedeliveredRejectedPayload_IsADuplicate_AnotherPayloadUnderItsKeyAConflict) {
  const auto bad = altered(start_body("S1"), 10, "/body/depth_mm", 9);
  receive("PEN-1", "event", bad, 10, 1);
  EXPECT_EQ(receive("PEN-1", "event", bad, 11, 2).disposition, Disposition::duplicate);
  auto other = json::parse(bad);
  other["body"]["depth_mm"] = 1.0;
  const auto conflict = receive("PEN-1", "event", other.dump(), 12, 3);
  ASSERT_EQ(conflict.disposition, Disposition::quarantined);
  EXPECT_EQ(conflict.reason, to_string(RefusalCode::seq_conflict));
  EXPECT_EQ(alerts(RuleId::event_rejected)[0].episode.occurrences, 2);
}

TEST_F(Intake, EngineRefusals_AreRejectedEventsToo) {
  birth("STER-1", protocol::DeviceKind::sterilizer);
  const auto judged = receive("STER-1", "event", payload("STER-1", start_body("S1"), 10), 10, 7);
  EXPECT_EQ(judged.reason, "wrong_device_kind");
  const auto fired = alerts(RuleId::event_rejected);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].episode.trigger, "quarantine:7");
}

TEST_F(Intake, UnreadableEnvelope_IsNamedByItsQuarantineId) {
  receive("PEN-1", "event", "{not json", 10, 9);
  const auto fired = alerts(RuleId::event_rejected);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject, "PEN-1/quarantine/9");
}

// tests/protocol/fields.json through the engine: drift is accepted with one warning on its field; a
// rejection of an event or birth raises device.event_rejected, of telemetry or a status nothing.
TEST(FieldOutcomes, EveryRowGivesItsAlert) {
  const auto cases = sterifleet::testing::read_field_cases(STERIFLEET_FIELD_TABLE);
  ASSERT_GE(cases.size(), 100u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Engine engine(default_policy(), kStart);
    const auto received_at = *protocol::parse_timestamp("2026-12-01T00:00:00Z");
    const auto judged = engine.receive({c.topic, c.payload, received_at, false, 5}, {});
    std::vector<Alert> fired;
    engine.for_each_alert([&](const Alert& a) {
      if (a.rule == RuleId::protocol_drift || a.rule == RuleId::event_rejected) fired.push_back(a);
    });
    if (c.drift) {
      EXPECT_EQ(judged.disposition, Disposition::accepted) << judged.detail;
      ASSERT_EQ(fired.size(), 1u);
      EXPECT_EQ(fired[0].rule, RuleId::protocol_drift);
      EXPECT_TRUE(fired[0].subject.ends_with(c.path)) << fired[0].subject;
      continue;
    }
    EXPECT_EQ(judged.disposition, Disposition::quarantined);
    EXPECT_EQ(judged.reason, c.reason);
    // A fact by its channel, or by a type that is not telemetry (a misspelt event is still an event).
    const auto payload = json::parse(c.payload);
    const bool typed_fact = payload.contains("type") && payload["type"].is_string() && payload["type"] != "telemetry";
    const bool fact = c.topic.ends_with("/event") || c.topic.ends_with("/birth") || typed_fact;
    ASSERT_EQ(fired.size(), fact ? 1u : 0u);
    if (fact) {
      EXPECT_EQ(fired[0].rule, RuleId::event_rejected);
      EXPECT_EQ(fired[0].severity, Severity::critical);
      EXPECT_EQ(fired[0].episode.trigger, "quarantine:5");
    }
  }
}

// A device belongs to the clinic of its first message. The same id under another clinic's topics is
// not that device: nothing of it is applied, it is quarantined, and a critical alert in the device's
// own clinic names it. The foreign message's key stays free for the device's own message.
TEST_F(Intake, ClinicMismatch_AForeignMessageIsQuarantinedUnappliedWithACriticalAlert) {
  const std::string payload = payload_of("PEN-1", start_body("S1"), 10);
  const auto judged = receive("PEN-1", "event", payload, 10, 7, "south");
  EXPECT_EQ(judged.disposition, Disposition::quarantined);
  EXPECT_EQ(judged.reason, "clinic_mismatch");
  EXPECT_NE(judged.detail.find("PEN-1 belongs to clinic north"), std::string::npos) << judged.detail;
  EXPECT_NE(judged.detail.find("sterifleet/v1/south/PEN-1/event"), std::string::npos) << judged.detail;
  EXPECT_TRUE(device("PEN-1").sessions.empty());
  EXPECT_EQ(device("PEN-1").clinic.str(), "north");

  const auto fired = alerts(RuleId::clinic_mismatch);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].clinic.str(), "north");
  EXPECT_EQ(fired[0].subject, "PEN-1");
  EXPECT_EQ(fired[0].severity, Severity::critical);
  EXPECT_EQ(fired[0].episode.trigger, "quarantine:7");
  EXPECT_TRUE(alerts(RuleId::event_rejected).empty());
  EXPECT_EQ(lock_commands(), std::vector<std::string>{"lock:PEN-1"});

  // The same payload from the device's own clinic is its message: accepted, not a redelivery.
  EXPECT_EQ(receive("PEN-1", "event", payload, 11).disposition, Disposition::accepted);
  EXPECT_EQ(device("PEN-1").sessions.size(), 1u);
  // Only a person closes it: a correct message of the device is no answer to who sent the other.
  ASSERT_EQ(alerts(RuleId::clinic_mismatch).size(), 1u);
  EXPECT_EQ(alerts(RuleId::clinic_mismatch)[0].state(), AlertState::open);

  receive("PEN-1", "telemetry", payload_of("PEN-1", telemetry_body(), 12), 12, 8, "south");
  ASSERT_EQ(alerts(RuleId::clinic_mismatch).size(), 1u);
  EXPECT_EQ(alerts(RuleId::clinic_mismatch)[0].episode.occurrences, 2);
}

TEST_F(Intake, ClinicMismatch_AForeignStatusOrMalformedMessageChangesNothingOfTheDevice) {
  const auto presence = device("PEN-1").presence;
  const auto status = receive("PEN-1", "status", R"({"v":1,"device":"PEN-1","boot":1,"online":false})", 10, 3, "south");
  EXPECT_EQ(status.disposition, Disposition::quarantined);
  EXPECT_EQ(status.reason, "clinic_mismatch");
  EXPECT_EQ(device("PEN-1").presence, presence);
  // Retained, and saying what the device's own status says: the broker's replay of a foreign status.
  const auto replayed = engine_.receive({"sterifleet/v1/south/PEN-1/status",
                                         R"({"v":1,"device":"PEN-1","boot":1,"online":true})", at_minute(10), true, 5},
                                        {});
  EXPECT_EQ(replayed.disposition, Disposition::quarantined);
  EXPECT_EQ(replayed.reason, "clinic_mismatch");

  // Its envelope names boot 1 seq 2, the device's next number: that stays the device's to send.
  const auto whole = json::parse(payload_of("PEN-1", start_body("S1"), 11));
  auto broken = whole;
  broken["body"].erase("cartridge");
  const auto malformed = receive("PEN-1", "event", broken.dump(), 11, 4, "south");
  EXPECT_EQ(malformed.disposition, Disposition::quarantined);
  EXPECT_EQ(malformed.reason, "clinic_mismatch");
  EXPECT_NE(malformed.detail.find("missing_field"), std::string::npos) << malformed.detail;
  EXPECT_TRUE(alerts(RuleId::event_rejected).empty());
  EXPECT_EQ(alerts(RuleId::clinic_mismatch).at(0).episode.occurrences, 3);

  EXPECT_EQ(receive("PEN-1", "event", whole.dump(), 12).disposition, Disposition::accepted);
  EXPECT_TRUE(alerts(RuleId::sequence_gap).empty());
}

// A device id first seen under a clinic is bound there, whatever its first message was.
TEST_F(Intake, ClinicMismatch_TheFirstClinicAnIdComesUnderBindsIt) {
  EXPECT_EQ(receive("PEN-9", "telemetry", payload_of("PEN-9", telemetry_body(), 10), 10, 1, "south").disposition,
            Disposition::accepted);
  EXPECT_EQ(device("PEN-9").clinic.str(), "south");
  EXPECT_EQ(receive("PEN-9", "telemetry", payload_of("PEN-9", telemetry_body(), 11), 11).reason, "clinic_mismatch");
}

// A patient reference off the policy's pattern (a date of birth here) is kept as sent, as drift: the
// session is judged, the warning does not repeat the reference, and the session carries the flag that
// withholds it from viewers and marks it in reports.
TEST_F(Intake, PatientReference_OffThePatternIsDriftWithAWarningThatDoesNotRepeatIt) {
  const auto judged = receive("PEN-1", "event", altered(start_body("S1"), 10, "/body/patient", "19850302"), 10);
  ASSERT_EQ(judged.disposition, Disposition::accepted) << judged.detail;
  ASSERT_EQ(device("PEN-1").sessions.size(), 1u);
  EXPECT_TRUE(device("PEN-1").sessions[0].patient_drift);
  EXPECT_EQ(device("PEN-1").sessions[0].start.patient.str(), "19850302");
  const auto drift = alerts(RuleId::protocol_drift);
  ASSERT_EQ(drift.size(), 1u);
  EXPECT_EQ(drift[0].subject, "PEN-1/body/patient");
  EXPECT_EQ(drift[0].severity, Severity::warning);
  EXPECT_EQ(drift[0].episode.summary.find("19850302"), std::string::npos) << drift[0].episode.summary;
  EXPECT_NE(drift[0].episode.summary.find("ref_pattern"), std::string::npos) << drift[0].episode.summary;
  ASSERT_EQ(judged.effects.sessions.size(), 1u);
  EXPECT_EQ(to_json(judged.effects.sessions[0])["patient_drift"], true);

  // One off the id charset too (a name): the codec's drift names the field once, the flag is set.
  receive("PEN-1", "event", altered(start_body("S2"), 30, "/body/patient", "Anna Berg"), 30);
  EXPECT_TRUE(device("PEN-1").sessions[1].patient_drift);
  EXPECT_EQ(alerts(RuleId::protocol_drift).size(), 1u);

  receive("PEN-1", "event", payload_of("PEN-1", start_body("S3"), 50), 50);
  EXPECT_FALSE(device("PEN-1").sessions[2].patient_drift);
}

// The pattern in force when the session started decides: a policy reload changes later sessions only.
TEST_F(Intake, PatientReference_ThePolicysPatternDecides) {
  Policy strict = default_policy();
  strict.patient_ref_pattern = "PT-[0-9]{6}";
  engine_.set_policy(strict, "operator:SIGHUP", at_minute(1));
  receive("PEN-1", "event", payload_of("PEN-1", start_body("S1"), 10), 10);  // "pt-S1"
  receive("PEN-1", "event", altered(start_body("S2"), 20, "/body/patient", "PT-000042"), 20);
  EXPECT_TRUE(device("PEN-1").sessions[0].patient_drift);
  EXPECT_FALSE(device("PEN-1").sessions[1].patient_drift);
}

}  // namespace
}  // namespace sterifleet::engine::testing
