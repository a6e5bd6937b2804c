// Every state change and every alert transition yields an audit record (who or what, when, before,
// after) for the store to chain: checked input by input over three days of a clinic's traffic, in
// device-time order and in arrival orders that make late data rewrite history.
#include <gtest/gtest.h>

#include <random>

#include "clinic_traffic.hpp"

namespace sterifleet::engine::testing {
namespace {

using States = std::map<std::string, std::string>;

std::string state_of(const DeviceRecord& d) {
  return std::string(to_string(d.hygiene)) + (d.locked ? " locked " : " unlocked ") +
         std::string(to_string(d.presence)) + (d.registered ? " registered" : "");
}

// The audited entity of each piece of state: devices, sessions and cycles.
States states(const Engine& engine) {
  States out;
  engine.for_each_device([&](const DeviceRecord& d) {
    out["device:" + d.id.str()] = state_of(d);
    for (const auto& s : d.sessions) out["session:" + d.id.str() + "/" + s.id.str()] = s.ended ? "ended" : "started";
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
}

Stream arrival(const std::map<std::string, Stream>& streams, std::uint64_t seed) {
  Stream out;
  for (const auto& [id, s] : streams) out.insert(out.end(), s.begin(), s.end());
  if (seed == 0) {
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.envelope.ts < b.envelope.ts; });
    return out;
  }
  // Each device's own order kept, devices interleaved at random.
  std::mt19937_64 rng(seed);
  std::vector<std::pair<const Stream*, std::size_t>> cursors;
  for (const auto& [id, s] : streams) cursors.emplace_back(&s, 0);
  out.clear();
  while (!cursors.empty()) {
    const auto pick = rng() % cursors.size();
    auto& [stream, next] = cursors[pick];
    out.push_back((*stream)[next++]);
    if (next == stream->size()) cursors.erase(cursors.begin() + static_cast<std::ptrdiff_t>(pick));
  }
  return out;
}

TEST(AuditTrail, EveryStateChangeAndAlertTransitionIsRecorded) {
  const auto streams = ClinicTraffic{}.build();
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
    }
    EXPECT_GT(transitions, 20u);  // the traffic did exercise the alert book
  }
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

}  // namespace
}  // namespace sterifleet::engine::testing
