// Every state change and every alert transition yields an audit record (who or what, when, before,
// after) for the store to chain: checked input by input over three days of a clinic's traffic, in
// device-time order and in arrival orders that make late data rewrite history.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "clinic_traffic.hpp"

namespace sterifleet::engine::testing {
namespace {

using States = std::map<std::string, std::string>;

std::string state_of(const DeviceRecord& d) {
  return std::string(to_string(d.hygiene)) + (d.locked ? " locked " : " unlocked ") +
         std::string(to_string(d.presence)) + (d.registered ? " registered" : "");
}

std::string session_entity(const DeviceId& pen, const SessionId& session) {
  return "session:" + pen.str() + "/" + session.str();
}

// The audited entity of each piece of state: devices, sessions and cycles.
States states(const Engine& engine) {
  States out;
  engine.for_each_device([&](const DeviceRecord& d) {
    out["device:" + d.id.str()] = state_of(d);
    for (const auto& s : d.sessions) {
      out[session_entity(d.id, s.id)] = (s.ended ? "ended, cleared by '" : "started, cleared by '") + s.clearance + "'";
    }
  });
  engine.for_each_cycle(
      [&](const CycleRecord& c) { out["cycle:" + c.key] = std::string(to_string(c.state())) + " " + c.recalled_by; });
  return out;
}

void expect_audited(const Effects& effects, const States& before, const States& after, const std::string& input) {
  std::set<std::string> audited;
  for (const auto& record : effects.audit) {
    audited.insert(record.entity);
    EXPECT_FALSE(record.actor.empty()) << input << ": " << record.entity;
    EXPECT_NE(record.at, Timestamp{}) << input << ": " << record.entity;
    EXPECT_FALSE(record.action.empty()) << input << ": " << record.entity;
    EXPECT_FALSE(record.after.is_null()) << input << ": " << record.entity << " " << record.action;
  }
  const std::string untouched_device = "device:" + state_of(DeviceRecord{});
  for (const auto& [entity, state] : after) {
    const auto was = before.find(entity);
    // A device first named in a load has no state of its own yet; the cycle that named it is audited.
    if (was == before.end() && entity.starts_with("device:") && "device:" + state == untouched_device) continue;
    if (was != before.end() && was->second == state) continue;
    EXPECT_TRUE(audited.contains(entity)) << input << ": " << entity << " went from "
                                          << (was == before.end() ? "nothing" : was->second) << " to " << state;
  }
  // One record per alert transition, in the same order.
  std::vector<std::string> transitions;
  for (const auto& change : effects.alerts) {
    transitions.push_back("alert:" + change.alert.id + " " + std::string(to_string(change.transition)));
  }
  std::vector<std::string> alert_records;
  for (const auto& record : effects.audit) {
    if (record.entity.starts_with("alert:")) alert_records.push_back(record.entity + " " + record.action);
  }
  EXPECT_EQ(alert_records, transitions) << input;
  // What the store is given for a session is in the trail too: a record of that session saying its
  // clearance.
  for (const auto& change : effects.sessions) {
    const auto entity = session_entity(change.pen, change.session.id);
    const bool recorded = std::any_of(effects.audit.begin(), effects.audit.end(), [&](const AuditRecord& r) {
      return r.entity == entity && r.after.value("clearance", std::string{"(none)"}) == change.session.clearance;
    });
    EXPECT_TRUE(recorded) << input << ": " << entity << " stored with clearance '" << change.session.clearance
                          << "' without an audit record saying so";
  }
}

std::size_t count_action(const Effects& effects, std::string_view action) {
  return static_cast<std::size_t>(std::count_if(effects.audit.begin(), effects.audit.end(),
                                                [&](const AuditRecord& r) { return r.action == action; }));
}

Stream arrival(const std::map<std::string, Stream>& streams, std::uint64_t seed) {
  if (seed != 0) return interleave(streams, seed);
  Stream out;
  for (const auto& [id, s] : streams) out.insert(out.end(), s.begin(), s.end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.envelope.ts < b.envelope.ts; });
  return out;
}

TEST(AuditTrail, EveryStateChangeAndAlertTransitionIsRecorded) {
  const auto streams = ClinicTraffic{}.build();
  std::size_t clearance_changes = 0;
  for (const std::uint64_t seed : {0u, 1u, 2u, 3u}) {
    SCOPED_TRACE("arrival order " + std::to_string(seed));
    Engine engine(default_policy(), kStart - std::chrono::hours(1));
    std::size_t transitions = 0;
    for (const auto& message : arrival(streams, seed)) {
      const auto before = states(engine);
      const auto effects = engine.apply(message, message.envelope.ts);
      ASSERT_TRUE(effects.accepted()) << effects.refusal->message;
      expect_audited(effects, before, states(engine),
                     message.envelope.device.str() + " seq " + std::to_string(message.envelope.seq));
      transitions += effects.alerts.size();
      clearance_changes += count_action(effects, "clearance");
    }
    EXPECT_GT(transitions, 20u);  // the traffic did exercise the alert book
  }
  // Some arrival order delivered a cycle after a session it made legal.
  EXPECT_GT(clearance_changes, 0u);
}

class AuditTrailOfSessions : public FleetFixture {};

// A sterilizer's backlog: its cycle arrives after the pen's next session, which then turns out to have
// started on a reprocessed pen. The alert is withdrawn, and the session's new clearance is recorded.
TEST_F(AuditTrailOfSessions, ALateCycleThatClearsAnEarlierSessionIsRecorded) {
  birth("PEN-1");
  birth("STER-1", protocol::DeviceKind::sterilizer);
  start("PEN-1", "S1", 10);
  end("PEN-1", "S1", 20);
  const auto dirty = start("PEN-1", "S2", 60);
  ASSERT_EQ(alerts(RuleId::used_without_reprocessing).size(), 1u);
  for (const auto& record : dirty.audit) {
    if (record.entity == "session:PEN-1/S2") {
      EXPECT_EQ(record.after["clearance"], "") << record.action;
    }
  }

  const auto before = states(engine_);
  const auto late = cycle("STER-1", steam("CYC-1", {"PEN-1"}), 30);
  expect_audited(late, before, states(engine_), "late cycle");
  EXPECT_TRUE(alerts(RuleId::used_without_reprocessing).empty());
  ASSERT_EQ(late.sessions.size(), 1u);
  EXPECT_EQ(late.sessions[0].session.clearance, "STER-1/CYC-1");
  const auto record = std::find_if(late.audit.begin(), late.audit.end(),
                                   [](const AuditRecord& r) { return r.entity == "session:PEN-1/S2"; });
  ASSERT_NE(record, late.audit.end());
  EXPECT_EQ(record->actor, "engine");
  EXPECT_EQ(record->action, "clearance");
  EXPECT_EQ(record->before, (nlohmann::json{{"clearance", ""}}));
  EXPECT_EQ(record->after, (nlohmann::json{{"clearance", "STER-1/CYC-1"}}));
  EXPECT_EQ(record->cause, "STER-1/CYC-1");
}

// A session's end replayed before its start: the start stores both, and both are recorded.
TEST_F(AuditTrailOfSessions, AnEndThatArrivedBeforeItsStartIsRecordedWithTheStart) {
  birth("PEN-1");
  const auto early_end = end("PEN-1", "S1", 20);
  EXPECT_TRUE(early_end.sessions.empty());
  const auto before = states(engine_);
  const auto late_start = send_at("PEN-1", session_start("S1", cartridge("CRT-1")), at_minute(10));
  expect_audited(late_start, before, states(engine_), "start after its end");
  std::vector<std::string> actions;
  for (const auto& r : late_start.audit) {
    if (r.entity == "session:PEN-1/S1") actions.push_back(r.action);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"started", "ended"}));
  ASSERT_EQ(late_start.sessions.size(), 1u);
  EXPECT_TRUE(late_start.sessions[0].session.ended.has_value());
}

TEST(AuditTrail, PeopleAreTheActorsOfWhatTheyDo) {
  const auto streams = ClinicTraffic{}.build();
  Engine engine(default_policy(), kStart - std::chrono::hours(1));
  for (const auto& message : arrival(streams, 0)) engine.apply(message, message.envelope.ts);
  std::vector<std::string> active;
  engine.for_each_alert([&](const Alert& a) {
    if (a.state() == AlertState::open) active.push_back(a.id);
  });
  std::sort(active.begin(), active.end());
  ASSERT_GE(active.size(), 2u);
  const Timestamp now = kStart + std::chrono::days(4);

  auto before = states(engine);
  const auto ack = engine.acknowledge(active[0], "token:anna", "looking into it", now);
  expect_audited(ack, before, states(engine), "acknowledge");
  ASSERT_EQ(ack.audit.size(), 1u);
  EXPECT_EQ(ack.audit[0].actor, "token:anna");
  EXPECT_EQ(ack.audit[0].before["state"], "open");
  EXPECT_EQ(ack.audit[0].after["state"], "acknowledged");

  before = states(engine);
  const auto resolved = engine.resolve(active[1], "token:lead", "handled on site", now);
  expect_audited(resolved, before, states(engine), "resolve");
  ASSERT_FALSE(resolved.audit.empty());
  EXPECT_EQ(resolved.audit[0].actor, "token:lead");
  EXPECT_EQ(resolved.audit[0].action, "resolved");
  EXPECT_EQ(resolved.audit[0].after["state"], "resolved");
}

// Each record names the clinic of what it is about (its device, session, cycle or alert), so that a
// clinic's trail holds all of that clinic and nothing of another; only what belongs to no clinic (a
// policy reload) is the fleet's. Two clinics' traffic interleaved, then people's actions and time.
TEST(AuditTrail, EveryRecordNamesTheClinicOfWhatItConcerns) {
  auto streams = ClinicTraffic{"north"}.build();
  streams.merge(ClinicTraffic{"south", "S-"}.build());
  Engine engine(default_policy(), kStart - std::chrono::hours(1));
  std::vector<AuditRecord> trail;
  const auto keep = [&](const Effects& effects) {
    ASSERT_TRUE(effects.accepted()) << effects.refusal->message;
    trail.insert(trail.end(), effects.audit.begin(), effects.audit.end());
  };
  for (const auto& message : interleave(streams, 5)) keep(engine.apply(message, message.envelope.ts));

  const Timestamp now = kStart + std::chrono::days(4);
  std::map<std::string, std::vector<std::string>> open_by_clinic;
  engine.for_each_alert([&](const Alert& a) {
    if (a.state() == AlertState::open) open_by_clinic[a.clinic.str()].push_back(a.id);
  });
  ASSERT_EQ(open_by_clinic.size(), 2u);
  for (const auto& [clinic, ids] : open_by_clinic) {
    ASSERT_GE(ids.size(), 2u) << clinic;
    keep(engine.acknowledge(ids[0], "token:anna", "looking into it", now));
    keep(engine.resolve(ids[1], "token:lead", "handled on site", now));
  }
  keep(engine.record_manual_reprocessing({ClinicId{"south"}, "soak-1", now, steam("SOAK-1", {"S-PEN-1"})}, "token:kim",
                                         now));
  keep(engine.add_maintenance(DeviceId{"S-PEN-2"}, {now, now + std::chrono::hours(2), "service"}, "token:kim", now));
  keep(engine.delivery_failed(
      {"desk", ClinicId{"south"}, open_by_clinic["south"][0], "cartridge.reused", "HTTP 410", now}, now));
  keep(engine.tick(now + std::chrono::days(1)));  // every device silent: presence and locks
  keep(engine.set_policy(default_policy(), "cli:root", now + std::chrono::days(1)));

  // The clinic each entity belongs to, known from the traffic rather than from the records.
  const auto clinic_of_device = [](std::string_view id) { return id.starts_with("S-") ? "south" : "north"; };
  const auto expected = [&](const AuditRecord& r) -> std::string {
    const std::string_view entity = r.entity;
    if (entity.starts_with("alert:")) return engine.alert(r.entity.substr(6))->clinic.str();
    if (entity.starts_with("cycle:manual/")) return "south";
    for (const std::string_view kind : {"device:", "session:", "cycle:"}) {
      if (entity.starts_with(kind)) return clinic_of_device(entity.substr(kind.size()));
    }
    return "";
  };
  std::map<std::string, std::size_t> records_by_clinic;
  for (const auto& record : trail) {
    EXPECT_EQ(record.clinic, expected(record)) << record.entity << " " << record.action;
    ++records_by_clinic[record.clinic];
  }
  EXPECT_GT(records_by_clinic["north"], 100u);
  EXPECT_GT(records_by_clinic["south"], 100u);
  EXPECT_EQ(records_by_clinic[""], 1u);  // the policy reload
  std::set<std::string> actions;
  for (const auto& record : trail) actions.insert(record.action);
  for (const auto* action :
       {"birth", "started", "ended", "clearance", "hygiene", "completed", "biological_indicator", "recalled",
        "bowie_dick", "presence", "lock", "maintenance", "opened", "acknowledged", "resolved", "reload"}) {
    EXPECT_TRUE(actions.contains(action)) << action << ": the run made no such record";
  }
}

}  // namespace
}  // namespace sterifleet::engine::testing
