// How the simulated devices obey commands fed back into the scenario.
#include <gtest/gtest.h>

#include <optional>

#include "scenario_support.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/command.hpp"

namespace sterifleet::sim::testing {
namespace {

using protocol::Command;
using protocol::CommandId;
using protocol::DeviceId;
using protocol::Timestamp;

ScenarioConfig small_config(int days = 1) {
  auto config = standard_config(days);
  config.clinics = 1;
  config.pens = 1;
  config.sterilizers = 1;
  return config;
}

const DeviceId pen{"C01-PEN-01"};

protocol::DeviceMessage decoded(const Publish& p) {
  const auto result = protocol::decode(p.topic, p.payload, {Timestamp::max() - std::chrono::hours{24 * 365 * 100}});
  EXPECT_TRUE(result.has_value()) << p.payload;
  const protocol::Inbound inbound = result.value();
  return std::get<protocol::DeviceMessage>(inbound);
}

/// Drains actions until `stop` holds for one of them (inclusive) or the scenario ends.
template <class Stop>
std::vector<Action> drain_until(Scenario& scenario, Stop stop) {
  std::vector<Action> out;
  while (auto action = scenario.next()) {
    out.push_back(std::move(*action));
    if (stop(out.back())) break;
  }
  return out;
}

std::vector<Action> drain_before(Scenario& scenario, Timestamp until) {
  std::vector<Action> out;
  while (auto t = scenario.next_time()) {
    if (*t >= until) break;
    out.push_back(*scenario.next());
  }
  return out;
}

const Publish* sequenced(const Action& action, const DeviceId& device, std::string_view type = {}) {
  const auto* p = std::get_if<Publish>(&action.what);
  if (p == nullptr || !p->key || p->device != device) return nullptr;
  if (!type.empty() && p->key->type != type) return nullptr;
  return p;
}

Command command(std::string id, protocol::CommandBody body) {
  return Command{CommandId{std::move(id)}, Timestamp{}, std::move(body)};
}

int count(const std::vector<Action>& actions, const DeviceId& device, std::string_view type) {
  int n = 0;
  for (const auto& a : actions) n += sequenced(a, device, type) != nullptr ? 1 : 0;
  return n;
}

TEST(Commands, Lock_PenStartsNoSessionUntilUnlocked) {
  Scenario scenario(small_config(2));
  const auto before = drain_until(scenario, [](const Action& a) { return sequenced(a, pen, "birth") != nullptr; });
  const auto locked_at = before.back().at;
  scenario.handle_command(pen, command("c1", protocol::Lock{"device.used_without_reprocessing"}), locked_at);
  const auto locked = drain_before(scenario, locked_at + std::chrono::hours{6});
  EXPECT_EQ(count(locked, pen, "session.start"), 0);
  EXPECT_GT(count(locked, pen, "telemetry"), 300) << "the locked pen stays online";
  scenario.handle_command(pen, command("c2", protocol::Unlock{"reprocessed"}), locked_at + std::chrono::hours{6});
  const auto rest = drain(scenario);
  EXPECT_GT(count(rest, pen, "session.start"), 0);
}

TEST(Commands, Replay_ResendsTheRangeUnchanged) {
  Scenario scenario(small_config());
  std::vector<Action> seen = drain_until(scenario, [](const Action& a) {
    const auto* p = sequenced(a, pen);
    return p != nullptr && p->key->seq == 12;
  });
  const auto boot = std::get<Publish>(seen.back().what).key->boot;
  scenario.handle_command(pen, command("r1", protocol::Replay{boot, 3, 6}), seen.back().at);
  std::vector<const Publish*> replayed;
  auto after = drain_until(scenario, [](const Action&) { return false; });
  for (const auto& a : after) {
    const auto* p = sequenced(a, pen);
    if (p != nullptr && !p->first_send) replayed.push_back(p);
  }
  ASSERT_EQ(replayed.size(), 4U);
  for (std::size_t i = 0; i < replayed.size(); ++i) {
    EXPECT_EQ(replayed[i]->key->seq, 3 + i);
    const auto original = std::find_if(seen.begin(), seen.end(), [&](const Action& a) {
      const auto* p = sequenced(a, pen);
      return p != nullptr && p->key->seq == replayed[i]->key->seq;
    });
    ASSERT_NE(original, seen.end());
    EXPECT_EQ(std::get<Publish>(original->what).payload, replayed[i]->payload);
    EXPECT_EQ(std::get<Publish>(original->what).topic, replayed[i]->topic);
  }
}

TEST(Commands, ReplayOfForgottenMessages_ReportsReplayIncomplete) {
  Scenario scenario(small_config());
  const auto seen = drain_until(scenario, [](const Action& a) { return sequenced(a, pen, "birth") != nullptr; });
  const auto boot = std::get<Publish>(seen.back().what).key->boot;
  scenario.handle_command(pen, command("r1", protocol::Replay{boot + 7, 1, 5}), seen.back().at);
  const auto next = scenario.next();
  ASSERT_TRUE(next);
  const auto* p = sequenced(*next, pen, "fault");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::get<protocol::Fault>(decoded(*p).body).code.str(), "replay.incomplete");
}

TEST(Commands, Rebirth_PublishesABirthWithTheNextSeq) {
  Scenario scenario(small_config());
  const auto seen = drain_until(scenario, [](const Action& a) {
    const auto* p = sequenced(a, pen);
    return p != nullptr && p->key->seq == 5;
  });
  scenario.handle_command(pen, command("b1", protocol::Rebirth{}), seen.back().at);
  scenario.handle_command(pen, command("b1", protocol::Rebirth{}), seen.back().at);  // same id: acts once
  const auto next = scenario.next();
  ASSERT_TRUE(next);
  const auto* p = sequenced(*next, pen, "birth");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->key->seq, 6U);
  const auto after = scenario.next();
  ASSERT_TRUE(after);
  EXPECT_EQ(sequenced(*after, pen, "birth"), nullptr);
}

TEST(Commands, MalformedCommand_ReportsCmdRejected) {
  Scenario scenario(small_config());
  const auto seen = drain_until(scenario, [](const Action& a) { return sequenced(a, pen, "birth") != nullptr; });
  scenario.handle_malformed_command(pen, "missing_field: /cmd\n", seen.back().at);
  const auto next = scenario.next();
  ASSERT_TRUE(next);
  const auto* p = sequenced(*next, pen, "fault");
  ASSERT_NE(p, nullptr);
  const auto fault = std::get<protocol::Fault>(decoded(*p).body);
  EXPECT_EQ(fault.code.str(), "cmd.rejected");
  EXPECT_EQ(fault.detail, "missing_field: /cmd");
}

TEST(Commands, SequenceGapThenReplay_PublishesTheWithheldMessageOnce) {
  auto config = small_config();
  config.violations = {1.0, {Rule::sequence_gap}};
  Scenario scenario(config);
  std::uint64_t previous = 0;
  std::optional<std::uint64_t> missing;
  std::uint32_t boot = 0;
  std::vector<Action> seen = drain_until(scenario, [&](const Action& a) {
    const auto* p = sequenced(a, pen);
    if (p == nullptr || !p->first_send) return false;
    if (p->key->seq > previous + 1) missing = previous + 1;
    previous = p->key->seq;
    boot = p->key->boot;
    return missing.has_value();
  });
  ASSERT_TRUE(missing);
  ASSERT_EQ(scenario.injected().size(), 1U);
  scenario.handle_command(pen, command("r1", protocol::Replay{boot, *missing, *missing}), seen.back().at);
  const auto next = scenario.next();
  ASSERT_TRUE(next);
  const auto* p = sequenced(*next, pen, "telemetry");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->key->seq, *missing);
  EXPECT_TRUE(p->first_send) << "never published before";
}

TEST(Commands, UnknownSpare_PublishesItsBirthOnRebirth) {
  auto config = small_config();
  config.violations = {1.0, {Rule::device_unknown}};
  Scenario scenario(config);
  const DeviceId spare{"C01-PEN-S1"};
  const auto seen = drain_until(scenario, [&](const Action& a) { return sequenced(a, spare) != nullptr; });
  ASSERT_FALSE(seen.empty());
  const auto* first = sequenced(seen.back(), spare);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->key->type, "telemetry");
  EXPECT_EQ(first->key->seq, 1U);
  scenario.handle_command(spare, command("b1", protocol::Rebirth{}), seen.back().at);
  const auto next = scenario.next();
  ASSERT_TRUE(next);
  const auto* birth = sequenced(*next, spare, "birth");
  ASSERT_NE(birth, nullptr);
  EXPECT_EQ(birth->key->seq, 2U);
  EXPECT_TRUE(std::get<protocol::Birth>(decoded(*birth).body).heartbeat.has_value());
}

TEST(Commands, Stop_EndsSessionsAndShutsEveryDeviceDown) {
  Scenario scenario(small_config());
  const auto seen =
      drain_until(scenario, [](const Action& a) { return sequenced(a, pen, "session.start") != nullptr; });
  scenario.stop(seen.back().at + std::chrono::minutes{1});
  const auto rest = drain(scenario);
  EXPECT_EQ(count(rest, pen, "session.end"), 1);
  EXPECT_EQ(count(rest, pen, "cartridge.remove"), 1);
  int shutdowns = 0;
  int disconnects = 0;
  for (const auto& a : rest) {
    if (const auto* p = std::get_if<Publish>(&a.what); p != nullptr && p->retained) {
      shutdowns += p->payload.find("\"reason\":\"shutdown\"") != std::string::npos ? 1 : 0;
    }
    if (const auto* d = std::get_if<Disconnect>(&a.what); d != nullptr && !d->drop) ++disconnects;
  }
  EXPECT_EQ(shutdowns, 2);  // the pen and the sterilizer
  EXPECT_EQ(disconnects, 2);
}

TEST(Commands, BootCounters_ContinueFromTheStateAndSeqRestartsAtOne) {
  auto config = small_config(2);
  config.boots["C01-PEN-01"] = 41;
  const auto actions = run(config);
  std::vector<std::uint32_t> boots;
  for (const auto& a : actions) {
    if (const auto* c = std::get_if<Connect>(&a.what); c != nullptr && c->power_up && c->device == pen) {
      boots.push_back(c->boot);
    }
    if (const auto* p = sequenced(a, pen, "birth"); p != nullptr && p->key->seq == 1) {
      EXPECT_EQ(p->key->boot, boots.back());
    }
  }
  ASSERT_EQ(boots.size(), 2U);
  EXPECT_EQ(boots[0], 42U);
  EXPECT_EQ(boots[1], 43U);
}

TEST(Commands, Follow_PensReannounceTheLongerHeartbeat) {
  auto config = small_config();
  config.start = *protocol::parse_timestamp("2026-03-02T06:00:00Z");
  config.end = *protocol::parse_timestamp("2026-03-02T12:00:00Z");
  config.follow = true;
  Scenario scenario(config);
  const auto actions = drain_before(scenario, config.end + std::chrono::minutes{1});
  std::vector<std::int64_t> heartbeats;
  for (const auto& a : actions) {
    if (const auto* p = sequenced(a, pen, "birth")) {
      heartbeats.push_back(std::get<protocol::Birth>(decoded(*p).body).heartbeat->count());
    }
  }
  ASSERT_EQ(heartbeats.size(), 2U);
  EXPECT_EQ(heartbeats[0], config.heartbeat.count());
  EXPECT_EQ(heartbeats[1], config.follow_heartbeat.count());
}

}  // namespace
}  // namespace sterifleet::sim::testing
