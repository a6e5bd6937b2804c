// The simulator's I/O helpers that need no broker: pacing simulated time against the wall clock,
// and the persisted boot counters.
#include <gtest/gtest.h>

#include <fstream>

#include "options.hpp"
#include "pacer.hpp"
#include "state_store.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::sim::testing {
namespace {

using namespace std::chrono_literals;
using Wall = Pacer::Wall;

const protocol::Timestamp t0 = *protocol::parse_timestamp("2026-03-02T08:00:00Z");
const Wall w0 = Wall{} + 1000h;

TEST(Pacer, Speed_MapsSimulatedSecondsOntoWallSeconds) {
  const Pacer pacer(60.0, t0, t0 + 24h, w0);
  EXPECT_EQ(pacer.release_time(t0 + 60s), w0 + 1s);
  EXPECT_EQ(pacer.release_time(t0 + 1h), w0 + 60s);
  EXPECT_EQ(pacer.sim_time(w0 + 2s), t0 + 120s);
}

TEST(Pacer, SpeedZero_ReleasesAtOnce) {
  const Pacer pacer(0.0, t0, t0 + 24h, w0);
  EXPECT_EQ(pacer.release_time(t0 + 23h), w0);
}

TEST(Pacer, AfterTheFastForward_TimeRunsAtSpeedOne) {
  const Pacer pacer(3600.0, t0, t0 + 1h, w0);
  EXPECT_EQ(pacer.release_time(t0 + 1h), w0 + 1s);
  EXPECT_EQ(pacer.release_time(t0 + 1h + 30s), w0 + 31s);
  EXPECT_EQ(pacer.sim_time(w0 + 11s), t0 + 1h + 10s);
}

// A backfill as fast as possible, then real time (the demo: yesterday at once, then live).
TEST(Pacer, SpeedZeroThenFollow_TheClockIsTheLastActionThenRunsWithTheWall) {
  Pacer pacer(0.0, t0, t0 + 24h, w0);
  pacer.released(t0 + 10h, w0 + 2s);
  EXPECT_EQ(pacer.sim_time(w0 + 3s), t0 + 10h) << "fast: where the actions are";
  pacer.released(t0 + 24h + 1s, w0 + 5s);
  EXPECT_EQ(pacer.sim_time(w0 + 65s), t0 + 24h + 61s) << "past the fast part: with the wall";
  EXPECT_EQ(pacer.release_time(t0 + 24h + 31s), w0 + 35s);
}

TEST(Pacer, Hold_SlowsSimulatedTimeSoTheReconnectComesAfterTheWallMinimum) {
  Pacer pacer(0.0, t0, t0 + 24h, w0);
  pacer.hold(t0, t0 + 600s, 25s, w0);
  EXPECT_EQ(pacer.release_time(t0), w0);
  EXPECT_EQ(pacer.release_time(t0 + 300s), w0 + 12500ms);  // others keep publishing in proportion
  EXPECT_EQ(pacer.release_time(t0 + 600s), w0 + 25s);
  pacer.released(t0 + 600s, w0 + 25s);
  EXPECT_EQ(pacer.release_time(t0 + 601s), w0 + 25s) << "the hold is over, speed 0 again";
}

TEST(Pacer, LateDriver_ContinuesFromWhereItIsInsteadOfRushing) {
  Pacer pacer(60.0, t0, t0 + 24h, w0);
  pacer.released(t0 + 60s, w0 + 10s);  // due at w0 + 1 s, carried out 9 s late
  EXPECT_EQ(pacer.release_time(t0 + 120s), w0 + 11s);
}

TEST(Pacer, Hurry_IgnoresTheSpeedButKeepsHolds) {
  Pacer pacer(1.0, t0, t0 + 24h, w0);
  pacer.hold(t0, t0 + 100s, 10s, w0);
  EXPECT_EQ(pacer.release_time(t0 + 50s, true), w0 + 5s);
  EXPECT_EQ(pacer.release_time(t0 + 200s, true), w0 + 10s);
}

TEST(Options, Resume_StartsWhereThePreviousRunEnded_UpToNow) {
  const auto now = t0 + 48h;
  Options options;
  options.days = 1;
  options.resume = true;
  const auto resumed = scenario_config(options, now, now - 2h);
  EXPECT_EQ(resumed.start, now - 2h);
  EXPECT_EQ(resumed.end, now);
  EXPECT_EQ(scenario_config(options, now, now - 72h).start, now - 24h) << "an older end: the whole day";
  EXPECT_EQ(scenario_config(options, now, std::nullopt).start, now - 24h);
  options.resume = false;
  EXPECT_EQ(scenario_config(options, now, now - 2h).start, now - 24h);
}

TEST(StateStore, BootCounters_SurviveARestartAndTheFileIsReplacedWhole) {
  sterifleet::testing::TempDir dir;
  {
    StateStore state(dir.path() / "state");
    EXPECT_TRUE(state.boots().empty());
    state.set_boot("C01-PEN-01", 17);
    state.set_boots({{"C01-PEN-02", 3}, {"C01-PEN-01", 18}});
    state.set_last_end(t0);
  }
  const StateStore reloaded(dir.path() / "state");
  EXPECT_EQ(reloaded.boots().at("C01-PEN-01"), 18U);
  EXPECT_EQ(reloaded.boots().at("C01-PEN-02"), 3U);
  EXPECT_EQ(reloaded.last_end(), t0);
  EXPECT_FALSE(std::filesystem::exists(reloaded.file().string() + ".tmp"));
}

TEST(StateStore, CorruptFile_IsAStartUpError) {
  sterifleet::testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "state");
  std::ofstream(dir.path() / "state" / "sterifleet-sim.state.json") << "{not json";
  EXPECT_THROW(StateStore(dir.path() / "state"), std::runtime_error);
}

}  // namespace
}  // namespace sterifleet::sim::testing
