// Pure scenario tests: determinism, a compliant week checked by an independent oracle, and
// violation injection that maps one-to-one onto alerts.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "oracle.hpp"
#include "scenario_support.hpp"
#include "sterifleet/protocol/codec.hpp"

namespace sterifleet::sim::testing {
namespace {

std::string describe(const OracleResult& result) {
  std::string out;
  for (const auto& [key, count] : result.opened) {
    out += key.first + " " + key.second + " x" + std::to_string(count) + "\n";
  }
  for (std::size_t i = 0; i < result.problems.size() && i < 20; ++i) out += "problem: " + result.problems[i] + "\n";
  return out;
}

std::string flatten(const Action& action) {
  std::string out = protocol::format_timestamp(action.at) + " ";
  if (const auto* p = std::get_if<Publish>(&action.what)) return out + p->topic + " " + p->payload;
  if (const auto* c = std::get_if<Connect>(&action.what))
    return out + "connect " + c->device.str() + " " + std::to_string(c->boot);
  const auto& d = std::get<Disconnect>(action.what);
  return out + "disconnect " + d.device.str() + (d.drop ? " drop" : "");
}

TEST(Scenario, SameSeed_SameStream) {
  auto config = standard_config(2);
  config.violations = {0.3, {all_rules().begin(), all_rules().end()}};
  const auto a = run(config);
  const auto b = run(config);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(flatten(a[i]), flatten(b[i])) << "at action " << i;
}

TEST(Scenario, OtherSeed_OtherStream) {
  auto config = standard_config(1);
  const auto a = run(config);
  config.seed = 43;
  const auto b = run(config);
  bool differ = a.size() != b.size();
  for (std::size_t i = 0; !differ && i < a.size(); ++i) differ = flatten(a[i]) != flatten(b[i]);
  EXPECT_TRUE(differ);
}

TEST(Scenario, Fleet_IsClinicsTimesPensAndSterilizers_TheSpareStaysSilentWithoutDeviceUnknown) {
  auto config = standard_config(1);
  config.clinics = 3;
  config.pens = 2;
  config.sterilizers = 2;
  std::map<std::string, std::string> kind_of;  // device -> kind announced in its birth
  std::set<std::string> publishing;
  for (const auto& action : run(config)) {
    const auto* p = std::get_if<Publish>(&action.what);
    if (p == nullptr) continue;
    publishing.insert(p->device.str());
    if (!p->key || p->key->type != "birth") continue;
    const auto decoded =
        protocol::decode(p->topic, p->payload, {protocol::Timestamp::max() - std::chrono::hours{24 * 365 * 100}});
    ASSERT_TRUE(decoded.has_value()) << p->payload;
    const protocol::Inbound inbound = decoded.value();
    const auto& birth = std::get<protocol::Birth>(std::get<protocol::DeviceMessage>(inbound).body);
    kind_of[p->device.str()] = std::string(protocol::to_string(birth.kind));
  }
  std::map<std::string, std::string> expected;
  for (const auto* clinic : {"C01", "C02", "C03"}) {
    for (const auto* pen : {"-PEN-01", "-PEN-02"}) expected[std::string(clinic) + pen] = "pen";
    for (const auto* sterilizer : {"-STER-01", "-STER-02"}) expected[std::string(clinic) + sterilizer] = "sterilizer";
  }
  EXPECT_EQ(kind_of, expected);
  EXPECT_EQ(publishing.size(), expected.size());
}

TEST(Scenario, CompliantWeek_RaisesNoAlertAndKeepsEveryPromise) {
  const auto actions = run(standard_config(7));
  const auto result = check(actions);
  EXPECT_TRUE(result.opened.empty()) << describe(result);
  EXPECT_TRUE(result.problems.empty()) << describe(result);
  EXPECT_GT(result.sessions, 7 * 2 * 10);
  EXPECT_GT(result.load_items, result.cycles * 3 / 2) << "loads of several pens";
  for (const auto* type : {"birth", "telemetry", "session.start", "session.end", "cartridge.insert", "cartridge.remove",
                           "cycle.complete", "bi.result", "test.bowie_dick", "fault"}) {
    EXPECT_GT(result.types.count(type) ? result.types.at(type) : 0, 0) << type;
  }
  EXPECT_GT(result.status_offline, 0) << "short connection drops";
  EXPECT_GT(result.status_shutdown, 0);
}

TEST(Scenario, CompliantWeek_WithShelfLife_RaisesNoAlert) {
  auto config = standard_config(7);
  config.shelf_life = std::chrono::hours{24};
  const auto result = check(run(config), {config.shelf_life});
  EXPECT_TRUE(result.opened.empty()) << describe(result);
  EXPECT_TRUE(result.problems.empty()) << describe(result);
}

void expect_injections_match(const ScenarioConfig& config, bool every_kind) {
  Scenario scenario(config);
  const auto actions = drain(scenario);
  OracleOptions options{config.shelf_life, 0.0};
  const auto result = check(actions, options);
  EXPECT_TRUE(result.problems.empty()) << describe(result);

  std::set<std::pair<std::string, std::string>> injected;
  std::map<std::string, int> kinds;
  for (const auto& v : scenario.injected()) {
    const std::pair<std::string, std::string> key{std::string(rule_id(v.rule)), v.subject};
    EXPECT_TRUE(injected.insert(key).second) << "injected twice: " << key.first << " " << key.second;
    ++kinds[key.first];
    if (v.rule == Rule::device_offline) continue;  // measured in wall time, not visible in the stream
    const auto it = result.opened.find(key);
    EXPECT_TRUE(it != result.opened.end() && it->second == 1)
        << key.first << " " << key.second << " opened " << (it == result.opened.end() ? 0 : it->second) << " times";
  }
  for (const auto& [key, count] : result.opened) {
    EXPECT_TRUE(injected.contains(key)) << "alert without injection: " << key.first << " " << key.second;
  }
  if (every_kind) {
    for (const auto rule : config.violations.kinds) EXPECT_GT(kinds[std::string(rule_id(rule))], 0) << rule_id(rule);
  }
}

TEST(Scenario, ViolationsAtRateOne_EveryKindInjectedAndEachOpensExactlyOneAlert) {
  auto config = standard_config(4);
  config.shelf_life = std::chrono::hours{24};
  config.violations = {1.0, {all_rules().begin(), all_rules().end()}};
  expect_injections_match(config, true);
}

TEST(Scenario, ViolationsAtLowRate_EachOpensExactlyOneAlert) {
  for (const std::uint64_t seed : {1U, 2U, 3U}) {
    auto config = standard_config(3);
    config.seed = seed;
    config.violations = {0.2, {all_rules().begin(), all_rules().end()}};
    expect_injections_match(config, false);
  }
}

TEST(Scenario, OfflineInjection_StaysAwayLongerThanTwoHeartbeats) {
  auto config = standard_config(2);
  config.violations = {1.0, {Rule::device_offline}};
  Scenario scenario(config);
  const auto actions = drain(scenario);
  std::set<std::string> long_drops;
  const auto hb = std::chrono::duration_cast<std::chrono::milliseconds>(config.heartbeat);
  for (const auto& action : actions) {
    const auto* d = std::get_if<Disconnect>(&action.what);
    if (d == nullptr || !d->drop) continue;
    if (d->min_wall > 2 * hb) {
      long_drops.insert(d->device.str());
    } else {
      EXPECT_LE(d->min_wall, hb / 2);
      // At the nominal speed the simulated absence also stays well under the heartbeat.
      EXPECT_LE(static_cast<double>((d->until - action.at).count()) / config.speed,
                0.5 * static_cast<double>(hb.count()));
    }
  }
  std::set<std::string> injected;
  for (const auto& v : scenario.injected()) injected.insert(v.device);
  EXPECT_EQ(long_drops, injected);
  EXPECT_EQ(injected.size(), 8U);
}

}  // namespace
}  // namespace sterifleet::sim::testing
