// The scenario in a closed loop with the real compliance engine (daemon/engine), no broker: every action
// goes into the engine with its simulated time as receipt time, the engine's commands (lock, replay,
// rebirth) go back into the scenario. The speed is 1 here, so simulated time is the wall clock the
// engine measures heartbeats with. What the brief asks: no alert without injection, and exactly one
// alert per injected (rule, subject).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <variant>

#include "scenario_support.hpp"
#include "sterifleet/engine/engine.hpp"
#include "sterifleet/engine/rules.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/sim/rules.hpp"
#include "sterifleet/testing/arrival_orders.hpp"
#include "sterifleet/testing/injection_check.hpp"

namespace sterifleet::sim::testing {
namespace {

using sterifleet::testing::AlertKey;

struct LoopResult {
  std::map<AlertKey, int> opened;
  std::set<AlertKey> withdrawn;
  std::vector<InjectedViolation> injected;
  std::vector<std::string> refusals;
  int commands = 0;
};

engine::Policy policy_for(const ScenarioConfig& config) {
  if (config.shelf_life.count() == 0) return engine::default_policy();
  auto parsed = engine::parse_policy_over(
      engine::default_policy(), "[sterility]\nshelf_life_hours = " + std::to_string(config.shelf_life.count()) + "\n",
      "test");
  return std::get<engine::Policy>(std::move(parsed));
}

/// Real time: simulated time is the clock, heartbeats as at speed 1.
ScenarioConfig real_time(ScenarioConfig config) {
  config.speed = 1.0;
  config.heartbeat = default_heartbeat(1.0);
  return config;
}

LoopResult run_loop(const ScenarioConfig& config) {
  LoopResult result;
  Scenario scenario(config);
  engine::Engine engine(policy_for(config), config.start);
  int command_id = 0;
  protocol::Timestamp last_tick = config.start;

  const auto take = [&](engine::Effects effects, protocol::Timestamp at) {
    for (const auto& change : effects.alerts) {
      const AlertKey key{std::string(engine::to_string(change.alert.rule)), change.alert.subject};
      if (change.transition == engine::Transition::opened || change.transition == engine::Transition::reopened) {
        ++result.opened[key];
      }
      if (change.transition == engine::Transition::withdrawn) result.withdrawn.insert(key);
    }
    if (effects.refusal && effects.refusal->code != engine::RefusalCode::duplicate)
      result.refusals.push_back(effects.refusal->message);
    for (const auto& request : effects.commands) {
      ++result.commands;
      scenario.handle_command(
          request.device,
          protocol::Command{protocol::CommandId{"eng-" + std::to_string(++command_id)}, at, request.body}, at);
    }
  };

  while (auto action = scenario.next()) {
    const auto at = action->at;
    if (at - last_tick >= std::chrono::seconds{10}) {
      take(engine.tick(at), at);
      last_tick = at;
    }
    const auto* p = std::get_if<Publish>(&action->what);
    if (p == nullptr) continue;
    auto judged = engine.receive({p->topic, p->payload, at, p->retained}, {});
    // A rejected event raises device.event_rejected, which the tally holds against the injected list;
    // a rejected telemetry raises nothing, so it is listed here unless it is the injected mismatch.
    if (judged.disposition == engine::Disposition::quarantined && judged.reason != "identity_mismatch" &&
        p->topic.ends_with("/telemetry")) {
      result.refusals.push_back(judged.reason + ": " + judged.detail);
    }
    take(std::move(judged.effects), at);
  }
  result.injected = scenario.injected();
  return result;
}

std::string describe(const LoopResult& r) {
  std::string out;
  for (const auto& [key, n] : r.opened)
    out += "opened " + key.first + " " + key.second + " x" + std::to_string(n) + "\n";
  for (const auto& key : r.withdrawn) out += "withdrawn " + key.first + " " + key.second + "\n";
  for (const auto& v : r.injected) out += "injected " + std::string(rule_id(v.rule)) + " " + v.subject + "\n";
  for (std::size_t i = 0; i < r.refusals.size() && i < 10; ++i) out += "refused " + r.refusals[i] + "\n";
  return out;
}

void expect_one_alert_per_injection(const LoopResult& r) {
  std::vector<AlertKey> injected;
  for (const auto& v : r.injected) injected.emplace_back(std::string(rule_id(v.rule)), v.subject);
  for (const auto& mismatch : sterifleet::testing::injection_mismatches(injected, {r.opened, r.withdrawn})) {
    ADD_FAILURE() << mismatch << "\n" << describe(r);
  }
  EXPECT_TRUE(r.refusals.empty()) << describe(r);
}

// The simulator keeps its own copy of the rule list so that it judges the engine independently; the
// ids themselves are the daemon's API and must agree, in the engine README's order. delivery.failed is
// the daemon's notification delivery, which no device can violate; device.clinic_mismatch needs a device
// under another clinic's topics, which the simulator's clinics (each on its own topics) never send.
TEST(EngineLoop, TheSimulatorsRulesAreTheEnginesRules) {
  std::vector<std::string> engine_ids;
  for (const auto rule : engine::all_rules) {
    if (rule != engine::RuleId::delivery_failed && rule != engine::RuleId::clinic_mismatch) {
      engine_ids.emplace_back(engine::to_string(rule));
    }
  }
  std::vector<std::string> simulator_ids;
  for (const auto rule : all_rules()) simulator_ids.emplace_back(rule_id(rule));
  EXPECT_EQ(simulator_ids, engine_ids);
}
TEST(EngineLoop, CompliantWeek_TheEngineRaisesNoAlert) {
  const auto r = run_loop(real_time(standard_config(7)));
  EXPECT_TRUE(r.opened.empty()) << describe(r);
  EXPECT_TRUE(r.withdrawn.empty()) << describe(r);
  EXPECT_TRUE(r.refusals.empty()) << describe(r);
  EXPECT_EQ(r.commands, 0);
}

TEST(EngineLoop, CompliantWeekWithShelfLife_TheEngineRaisesNoAlert) {
  auto config = real_time(standard_config(7));
  config.shelf_life = std::chrono::hours{24};
  const auto r = run_loop(config);
  EXPECT_TRUE(r.opened.empty()) << describe(r);
  EXPECT_TRUE(r.withdrawn.empty()) << describe(r);
}

TEST(EngineLoop, EveryKindAtRateOne_ExactlyOneAlertPerInjection) {
  auto config = real_time(standard_config(4));
  config.shelf_life = std::chrono::hours{24};
  config.violations = {1.0, {all_rules().begin(), all_rules().end()}};
  const auto r = run_loop(config);
  expect_one_alert_per_injection(r);
  std::set<Rule> kinds;
  for (const auto& v : r.injected) kinds.insert(v.rule);
  EXPECT_EQ(kinds.size(), all_rules().size()) << describe(r);
  EXPECT_GT(r.commands, 0) << "locks, replays, rebirths";
}

TEST(EngineLoop, RandomViolations_ExactlyOneAlertPerInjection) {
  for (const std::uint64_t seed : {11U, 12U, 13U}) {
    auto config = real_time(standard_config(3));
    config.seed = seed;
    config.violations = {0.25, {all_rules().begin(), all_rules().end()}};
    config.violations.kinds.erase(Rule::sterility_expired);
    SCOPED_TRACE(seed);
    expect_one_alert_per_injection(run_loop(config));
  }
}

}  // namespace
}  // namespace sterifleet::sim::testing

namespace sterifleet::sim::testing {
namespace {

struct Sent {
  std::string device;
  std::string topic;
  std::string payload;
  protocol::Timestamp ts;
  std::uint32_t boot;
  std::int64_t quarantine_id;  ///< stable per message, so a rejected one's alert is the same in any order
};

std::vector<Sent> sequenced_traffic(const ScenarioConfig& config) {
  Scenario scenario(config);
  std::vector<Sent> out;
  for (const auto& action : drain(scenario)) {
    const auto* p = std::get_if<Publish>(&action.what);
    if (p == nullptr || !p->key || !p->first_send) continue;
    const auto ts = nlohmann::json::parse(p->payload).at("ts").get<std::string>();
    out.push_back({p->device.str(), p->topic, p->payload, *protocol::parse_timestamp(ts), p->key->boot,
                   static_cast<std::int64_t>(out.size() + 1)});
  }
  return out;
}

/// Every alert that counts (withdrawn ones never held), the transport alerts aside, one line each.
std::string alert_history(const engine::Engine& engine) {
  std::vector<std::string> lines;
  engine.for_each_alert([&](const engine::Alert& a) {
    if (a.withdrawn || a.rule == engine::RuleId::sequence_gap || a.rule == engine::RuleId::device_unknown) return;
    lines.push_back(std::string(engine::to_string(a.rule)) + " " + a.subject + " " + a.episode.trigger + " " +
                    protocol::format_timestamp(a.episode.opened_at) + " x" + std::to_string(a.episode.occurrences) +
                    " " + std::string(engine::to_string(a.state())) + " " +
                    (a.episode.cleared_at ? protocol::format_timestamp(*a.episode.cleared_at) : "-"));
  });
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

std::string judge(const std::vector<const Sent*>& arrival) {
  engine::Engine engine(engine::default_policy(), arrival.front()->ts - std::chrono::hours{1});
  for (const auto* m : arrival) engine.receive({m->topic, m->payload, m->ts, false, m->quarantine_id}, {});
  return alert_history(engine);
}

// The scenario's traffic with violations of every device-time rule, the drift and the rejected events,
// delivered in random orders: devices interleaved, and some of each device's messages late as a replay
// brings them. The alert history must be the one device-time order gives. Receipt
// time is each message's own time, so the rules measured at receipt (device.offline, device.identity_mismatch) are left
// out; the transport alerts (device.sequence_gap, device.unknown) describe the arrival and may differ.
TEST(ArrivalOrder, SimulatedTrafficInAnyArrivalOrderGivesTheSameAlertHistory) {
  auto config = real_time(standard_config(2));
  config.violations = {0.3, {all_rules().begin(), all_rules().end()}};
  for (const auto rule : {Rule::device_offline, Rule::identity_mismatch, Rule::sterility_expired}) {
    config.violations.kinds.erase(rule);
  }
  const auto traffic = sequenced_traffic(config);
  std::vector<const Sent*> by_device_time;
  std::map<std::string, std::vector<const Sent*>> streams;
  for (const auto& m : traffic) {
    by_device_time.push_back(&m);
    streams[m.device].push_back(&m);
  }
  std::stable_sort(by_device_time.begin(), by_device_time.end(),
                   [](const Sent* a, const Sent* b) { return a->ts < b->ts; });
  const std::string expected = judge(by_device_time);
  for (const auto* rule : {"cartridge.reused", "device.used_without_reprocessing", "device.event_rejected",
                           "device.protocol_drift", "sterilizer.daily_test_missing", "device.battery_low"}) {
    EXPECT_NE(expected.find(rule), std::string::npos) << rule << " not exercised:\n" << expected;
  }
  // A message comes late after a later one of its boot revealed it missing, and before the boot after
  // next (a device keeps its current and previous boot).
  const auto latest = [](const std::vector<const Sent*>& stream, std::size_t i, std::size_t to) {
    if (stream[i + 1]->boot != stream[i]->boot) return i;
    for (auto j = i + 1; j <= to; ++j) {
      if (stream[j]->boot > stream[i]->boot + 1) return j - 1;
    }
    return to;
  };
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const auto late = sterifleet::testing::with_late_items(streams, seed, 20, latest);
    const auto arrival = sterifleet::testing::interleave(late, seed);
    ASSERT_EQ(judge(arrival), expected) << "arrival order " << seed;
  }
}

}  // namespace
}  // namespace sterifleet::sim::testing
