// Compaction forgets settled history without changing anything the daemon reports.
#include <gtest/gtest.h>

#include "clinic_traffic.hpp"

namespace sterifleet::engine::testing {
namespace {

Stream by_time() {
  Stream all;
  for (const auto& [id, s] : ClinicTraffic{}.build()) all.insert(all.end(), s.begin(), s.end());
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.envelope.ts < b.envelope.ts; });
  return all;
}

// Every alert as last reported through Effects: what the store ends up holding.
struct Reported {
  std::map<std::string, std::string> alerts;
  std::vector<std::string> commands;
  void take(const Effects& effects) {
    for (const auto& change : effects.alerts) {
      const auto& a = change.alert;
      alerts[a.id] = std::string(to_string(a.state())) + " x" + std::to_string(a.episode.occurrences) + " " +
                     (a.episode.cleared_at ? protocol::format_timestamp(*a.episode.cleared_at) : "-");
    }
    for (const auto& c : effects.commands)
      commands.push_back(c.device.str() + " " + std::string(protocol::command_name(c.body)));
  }
};

Reported run(const Stream& stream, bool compact_daily) {
  Engine engine(default_policy(), kStart - std::chrono::hours(1));
  Reported reported;
  Timestamp last_compaction = kStart;
  for (const auto& m : stream) {
    reported.take(engine.apply(m, m.envelope.ts));
    if (compact_daily && m.envelope.ts - last_compaction > std::chrono::hours(24)) {
      engine.compact(m.envelope.ts - std::chrono::hours(24));
      last_compaction = m.envelope.ts;
    }
  }
  return reported;
}

TEST(Compaction, ReportsExactlyWhatAnUncompactedEngineReports) {
  const auto stream = by_time();
  const auto plain = run(stream, false);
  const auto compacted = run(stream, true);
  EXPECT_EQ(compacted.alerts, plain.alerts);
  EXPECT_EQ(compacted.commands, plain.commands);
  EXPECT_GT(plain.alerts.size(), 10u);
}

TEST(Compaction, ForgetsFinishedSessionsAndSettledAlerts) {
  Engine engine(default_policy(), kStart);
  for (const auto& m : by_time()) engine.apply(m, m.envelope.ts);
  std::size_t sessions_before = engine.device(protocol::DeviceId{"PEN-2"})->sessions.size();
  std::size_t alerts_before = 0;
  engine.for_each_alert([&](const Alert&) { ++alerts_before; });
  engine.compact(kStart + std::chrono::hours(24 * 3));
  std::size_t alerts_after = 0;
  engine.for_each_alert([&](const Alert&) { ++alerts_after; });
  EXPECT_LT(engine.device(protocol::DeviceId{"PEN-2"})->sessions.size(), sessions_before);
  EXPECT_LT(alerts_after, alerts_before);
  engine.for_each_alert([](const Alert& a) { EXPECT_TRUE(a.active()) << a.episode.summary; });
}

class RetiredCartridge : public FleetFixture {};

TEST_F(RetiredCartridge, IsStillCaughtWhenReused) {
  birth("PEN-1");
  birth("STER-1", protocol::DeviceKind::sterilizer);
  start("PEN-1", "S1", 10, cartridge("CRT-A"));
  end("PEN-1", "S1", 20);
  remove("PEN-1", "CRT-A", 21);
  bowie_dick("STER-1", true, 30);
  cycle("STER-1", steam("C1", {"PEN-1"}), 31);
  engine_.compact(at_minute(3 * 24 * 60));
  EXPECT_EQ(engine_.cartridge(protocol::ClinicId{"north"}, protocol::CartridgeId{"CRT-A"}), nullptr);
  start("PEN-1", "S2", 4 * 24 * 60, cartridge("CRT-A"));
  const auto fired = alerts(RuleId::cartridge_reused);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_NE(fired[0].episode.summary.find("before the retention horizon"), std::string::npos);
  EXPECT_TRUE(alerts(RuleId::used_without_reprocessing).empty());
}

}  // namespace
}  // namespace sterifleet::engine::testing
