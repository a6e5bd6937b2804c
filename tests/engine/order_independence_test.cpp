// Property: any arrival order of a clinic's messages gives the same final state and the same alert
// history: every alert that counts (open, acknowledged, resolved) with its rule, subject, trigger,
// opened_at, occurrences, state and clearance. Arrival orders interleave the devices at random and, as a
// lost message replayed later does, deliver some of a device's own messages late. A withdrawn alert is
// one whose condition never held, so it is no part of the history. The transport alerts are the only
// allowed differences: they describe the arrival, not the clinic.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <set>
#include <sstream>

#include "clinic_traffic.hpp"

namespace sterifleet::engine::testing {
namespace {

// Messages missing on arrival (device.sequence_gap) and messages before a device's birth (device.unknown).
constexpr std::array kTransportRules{RuleId::sequence_gap, RuleId::device_unknown};

std::string fingerprint(const Engine& engine) {
  std::vector<std::string> lines;
  engine.for_each_alert([&](const Alert& a) {
    if (a.withdrawn || std::find(kTransportRules.begin(), kTransportRules.end(), a.rule) != kTransportRules.end()) {
      return;
    }
    std::ostringstream line;
    line << "alert " << to_string(a.rule) << " " << a.subject << " " << a.episode.trigger << " "
         << a.episode.device.str() << " " << protocol::format_timestamp(a.episode.opened_at) << " x"
         << a.episode.occurrences << " " << to_string(a.state()) << " "
         << (a.episode.cleared_at ? protocol::format_timestamp(*a.episode.cleared_at) : "-");
    lines.push_back(line.str());
  });
  engine.for_each_device([&](const DeviceRecord& d) {
    lines.push_back("device " + d.id.str() + " " + std::string(to_string(d.hygiene)) + (d.locked ? " locked" : ""));
  });
  engine.for_each_cycle([&](const CycleRecord& c) {
    lines.push_back("cycle " + c.key + " " + std::string(to_string(c.state())) + " by " + c.recalled_by);
    if (const auto recall = engine.recall(c.key)) {
      for (const auto& s : recall->sessions) lines.push_back("  recalled " + s.pen.str() + "/" + s.session.str());
    }
  });
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string run(const Stream& arrival, const Policy& policy = default_policy()) {
  Engine engine(policy, kStart - std::chrono::hours(1));
  for (const auto& message : arrival) {
    const auto effects = engine.apply(message, message.envelope.ts);
    EXPECT_TRUE(effects.accepted()) << effects.refusal->message;
  }
  return fingerprint(engine);
}

// Each device's stream with about one message in 12 held back and delivered up to 40 messages later;
// births stay first.
std::map<std::string, Stream> with_late_messages(std::map<std::string, Stream> streams, std::uint64_t seed) {
  return sterifleet::testing::with_late_items(std::move(streams), seed, 12,
                                              [](const Stream&, std::size_t, std::size_t to) { return to; });
}

TEST(OrderIndependence, LateMessagesOfADeviceGiveTheSameStateAndAlertHistory) {
  const auto streams = ClinicTraffic{}.build();
  Stream by_device_time;
  for (const auto& [id, s] : streams) by_device_time.insert(by_device_time.end(), s.begin(), s.end());
  std::stable_sort(by_device_time.begin(), by_device_time.end(),
                   [](const auto& a, const auto& b) { return a.envelope.ts < b.envelope.ts; });
  const std::string expected = run(by_device_time);
  int late_tests = 0;  // orders where a Bowie-Dick test came after its day's first load (the case)
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const auto late = with_late_messages(streams, seed);
    ASSERT_EQ(run(interleave(late, seed)), expected) << "late messages, seed " << seed;
    std::set<protocol::Date> loaded;
    for (const auto& m : late.at("STER-1")) {
      const auto day = protocol::utc_date(m.envelope.ts);
      if (std::holds_alternative<protocol::CycleComplete>(m.body)) loaded.insert(day);
      if (std::holds_alternative<protocol::BowieDickTest>(m.body) && loaded.contains(day)) ++late_tests;
    }
  }
  EXPECT_GT(late_tests, 0);
}

TEST(OrderIndependence, AnyInterleavingGivesTheSameStateAndAlerts) {
  const auto streams = ClinicTraffic{}.build();
  Stream by_device_time;  // what a perfectly connected clinic would deliver
  for (const auto& [id, s] : streams) by_device_time.insert(by_device_time.end(), s.begin(), s.end());
  std::stable_sort(by_device_time.begin(), by_device_time.end(),
                   [](const auto& a, const auto& b) { return a.envelope.ts < b.envelope.ts; });
  const std::string expected = run(by_device_time);
  // The traffic is built to exercise every device-time rule; make sure it did.
  for (const auto* rule :
       {"device.used_without_reprocessing", "cartridge.reused", "cartridge.expired", "cartridge.overused",
        "cycle.parameters_insufficient", "cycle.indicator_failed", "cycle.bi_positive", "sterilizer.daily_test_missing",
        "session.depth_exceeds_policy", "device.battery_low", "recalled"}) {
    EXPECT_NE(expected.find(rule), std::string::npos) << rule << " not exercised:\n" << expected;
  }
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    ASSERT_EQ(run(interleave(streams, seed)), expected) << "interleaving seed " << seed;
  }
  // The harshest order: one device's whole backlog after another's.
  Stream device_by_device;
  for (const auto& [id, s] : streams) device_by_device.insert(device_by_device.begin(), s.begin(), s.end());
  EXPECT_EQ(run(device_by_device), expected);
}

// Shelf life runs on the clinic clock, which a late backlog moves differently in every arrival order.
// 22 minutes is the gap between most reprocessings and the pens' next sessions (PEN-2's lands exactly
// on the deadline), so alerts open, clear and are withdrawn as late facts arrive.
TEST(OrderIndependence, ShelfLifeOnTheClinicClockGivesTheSameStateAndAlerts) {
  Policy policy = default_policy();
  policy.shelf_life = std::chrono::minutes(22);
  const auto streams = ClinicTraffic{}.build();
  Stream by_device_time;
  for (const auto& [id, s] : streams) by_device_time.insert(by_device_time.end(), s.begin(), s.end());
  std::stable_sort(by_device_time.begin(), by_device_time.end(),
                   [](const auto& a, const auto& b) { return a.envelope.ts < b.envelope.ts; });
  const std::string expected = run(by_device_time, policy);
  ASSERT_NE(expected.find("device.sterility_expired"), std::string::npos) << expected;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    ASSERT_EQ(run(interleave(streams, seed), policy), expected) << "interleaving seed " << seed;
  }
  Stream device_by_device;
  for (const auto& [id, s] : streams) device_by_device.insert(device_by_device.begin(), s.begin(), s.end());
  EXPECT_EQ(run(device_by_device, policy), expected);
}

}  // namespace
}  // namespace sterifleet::engine::testing
