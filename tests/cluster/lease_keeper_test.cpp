// The keeper's decisions on a fake steady clock: the local deadline counts from when a renew was sent
// and comes before the database's expiry, renews every interval, the share, adoption of abandoned
// leases, and rebalancing by clean hand-over.
#include "sterifleet/cluster/lease_keeper.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <stdexcept>
#include <variant>

namespace sterifleet::cluster {
namespace {

using namespace std::chrono_literals;
using TimePoint = LeaseKeeper::TimePoint;

constexpr LeaseTiming timing{.ttl = 10s, .renew_interval = 2s, .safety_margin = 2s, .live_window = 10s};
const TimePoint t0{std::chrono::hours{1}};

LeaseRow free_lease(int shard) { return LeaseRow{.shard = shard}; }
LeaseRow lease_of(int shard, const std::string& owner, bool held = true, bool locked = true) {
  return LeaseRow{.shard = shard, .owner = owner, .epoch = 1, .held = held, .locked = locked};
}

template <typename Event>
std::vector<HeldLease> of_kind(const std::vector<LeaseEvent>& events) {
  std::vector<HeldLease> leases;
  for (const auto& event : events) {
    if (const auto* wanted = std::get_if<Event>(&event)) leases.push_back(wanted->lease);
  }
  return leases;
}

TEST(LeaseKeeperTest, Share_IsTheCeilingOfShardsPerLiveDaemon) {
  EXPECT_EQ(LeaseKeeper::share(32, 1), 32U);
  EXPECT_EQ(LeaseKeeper::share(32, 3), 11U);
  EXPECT_EQ(LeaseKeeper::share(32, 4), 8U);
  EXPECT_EQ(LeaseKeeper::share(2, 5), 1U);
  EXPECT_EQ(LeaseKeeper::share(4, 0), 4U);  // nobody seen live: this daemon is
}

TEST(LeaseKeeperTest, Timing_RenewMustComeBeforeTheLocalDeadline) {
  EXPECT_NO_THROW(validate(timing));
  EXPECT_THROW(validate({.ttl = 10s, .renew_interval = 8s, .safety_margin = 2s}), std::invalid_argument);
  EXPECT_THROW(validate({.ttl = 0s}), std::invalid_argument);
  EXPECT_THROW(validate({.ttl = 10s, .renew_interval = 2s, .safety_margin = 2s, .live_window = 2s}),
               std::invalid_argument);
  EXPECT_THROW(LeaseKeeper("a", 0, timing), std::invalid_argument);
}

TEST(LeaseKeeperTest, FreshCluster_ClaimsFreeLeasesUpToItsShare) {
  LeaseKeeper keeper("a", 4, timing);
  const auto round =
      keeper.plan(t0, ClusterView{{"a", "b"}, {free_lease(0), free_lease(1), free_lease(2), free_lease(3)}});
  EXPECT_EQ(round.claim, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(round.claims_wanted, 2U);
  EXPECT_TRUE(round.adopt.empty());
  EXPECT_TRUE(round.renew.empty());
}

std::vector<LeaseRow> with_clinics_on(std::set<int> judging, std::vector<LeaseRow> leases) {
  for (auto& lease : leases) lease.judges_clinics = judging.contains(lease.shard);
  return leases;
}

// The work is the clinics' messages: the shards with clinics are shared apart from the others, so each
// of three daemons judges one of three clinic shards rather than one daemon two and another none.
TEST(LeaseKeeperTest, ShardsWithClinics_AreSharedApartFromTheOthers) {
  LeaseKeeper keeper("a", 8, timing);
  std::vector<LeaseRow> free;
  for (int shard = 0; shard < 8; ++shard) free.push_back(free_lease(shard));
  const auto round = keeper.plan(t0, ClusterView{{"a", "b", "c"}, with_clinics_on({1, 4, 6}, free)});
  EXPECT_EQ(round.claim_judging, (std::vector<int>{1, 4, 6}));
  EXPECT_EQ(round.judging_claims_wanted, 1U);
  EXPECT_EQ(round.claim, (std::vector<int>{0, 2, 3, 5, 7}));
  EXPECT_EQ(round.claims_wanted, 2U);
}

TEST(LeaseKeeperTest, OverItsShareOfShardsWithClinics_HandsOneOverThoughUnderItsShareOfAll) {
  LeaseKeeper keeper("a", 8, timing);
  keeper.claimed({1, 1}, t0);
  keeper.claimed({4, 1}, t0);
  std::vector<LeaseRow> leases{lease_of(1, "a"), lease_of(4, "a"), lease_of(6, "b")};
  for (const int shard : {0, 2, 3, 5, 7}) leases.push_back(free_lease(shard));
  const ClusterView view{{"a", "b", "c"}, with_clinics_on({1, 4, 6}, leases)};
  auto round = keeper.plan(t0 + 1s, view);
  EXPECT_TRUE(of_kind<ReleaseWanted>(round.events).empty()) << "not before a live window";
  EXPECT_EQ(round.judging_claims_wanted, 0U);
  EXPECT_EQ(round.claims_wanted, 2U);
  keeper.renewed({1, 1}, t0 + 6s, true);
  keeper.renewed({4, 1}, t0 + 6s, true);
  round = keeper.plan(t0 + 11s, view);
  EXPECT_EQ(of_kind<ReleaseWanted>(round.events), (std::vector<HeldLease>{{4, 1}}));
}

TEST(LeaseKeeperTest, AloneUnseen_CountsItselfLive) {
  LeaseKeeper keeper("a", 4, timing);
  const auto round = keeper.plan(t0, ClusterView{{}, {free_lease(0), free_lease(1), free_lease(2), free_lease(3)}});
  EXPECT_EQ(round.claims_wanted, 4U);
}

TEST(LeaseKeeperTest, Claimed_ReportsGainedAndHolds) {
  LeaseKeeper keeper("a", 4, timing);
  const auto events = keeper.claimed({1, 5}, t0);
  EXPECT_EQ(of_kind<Gained>(events), (std::vector<HeldLease>{{1, 5}}));
  EXPECT_TRUE(keeper.holds({1, 5}, t0));
  EXPECT_FALSE(keeper.holds({1, 4}, t0));
  EXPECT_FALSE(keeper.holds({2, 5}, t0));
  EXPECT_EQ(keeper.held(), (std::vector<HeldLease>{{1, 5}}));
}

TEST(LeaseKeeperTest, Deadline_IsTtlMinusMarginAfterTheSend_BeforeTheDatabaseExpiry) {
  LeaseKeeper keeper("a", 4, timing);
  keeper.claimed({0, 1}, t0);
  EXPECT_EQ(keeper.next_deadline(), t0 + 8s);
  EXPECT_TRUE(keeper.holds({0, 1}, t0 + 8s - 1ms));
  EXPECT_FALSE(keeper.holds({0, 1}, t0 + 8s));
  EXPECT_TRUE(keeper.expire(t0 + 8s - 1ms).empty());
  EXPECT_EQ(of_kind<Lost>(keeper.expire(t0 + 8s)), (std::vector<HeldLease>{{0, 1}}));
  EXPECT_TRUE(keeper.held().empty());
}

TEST(LeaseKeeperTest, SlowRenewAnswer_DeadlineCountsFromTheSend) {
  LeaseKeeper keeper("a", 4, timing);
  keeper.claimed({0, 1}, t0);
  // Sent at +2 s, answered at +7 s: the database's ttl started somewhere in between.
  keeper.renewed({0, 1}, t0 + 2s, true);
  EXPECT_EQ(keeper.next_deadline(), t0 + 10s);
  EXPECT_FALSE(keeper.holds({0, 1}, t0 + 10s));
  // An answer to an earlier send, arriving late, moves nothing back.
  keeper.renewed({0, 1}, t0 + 1s, true);
  EXPECT_EQ(keeper.next_deadline(), t0 + 10s);
  EXPECT_EQ(keeper.next_renew(), t0 + 4s);
}

TEST(LeaseKeeperTest, Renew_IsDueEveryInterval) {
  LeaseKeeper keeper("a", 4, timing);
  keeper.claimed({0, 1}, t0);
  keeper.claimed({1, 1}, t0 + 1s);
  EXPECT_TRUE(keeper.plan(t0 + 1999ms, std::nullopt).renew.empty());
  EXPECT_EQ(keeper.plan(t0 + 2s, std::nullopt).renew, (std::vector<HeldLease>{{0, 1}}));
  keeper.renewed({0, 1}, t0 + 2s, true);
  EXPECT_EQ(keeper.plan(t0 + 3s, std::nullopt).renew, (std::vector<HeldLease>{{1, 1}}));
  EXPECT_EQ(keeper.next_renew(), t0 + 3s);
}

TEST(LeaseKeeperTest, RenewRefused_IsLost) {
  LeaseKeeper keeper("a", 4, timing);
  keeper.claimed({0, 1}, t0);
  EXPECT_EQ(of_kind<Lost>(keeper.renewed({0, 1}, t0 + 2s, false)), (std::vector<HeldLease>{{0, 1}}));
  EXPECT_FALSE(keeper.holds({0, 1}, t0 + 2s));
  EXPECT_TRUE(keeper.renewed({0, 1}, t0 + 2s, false).empty());  // reported once
}

TEST(LeaseKeeperTest, NoRenewAnswered_StopsAtTheLocalDeadlineAndAbandonsTheLease) {
  LeaseKeeper keeper("a", 4, timing);
  keeper.claimed({0, 1}, t0);
  keeper.plan(t0 + 2s, std::nullopt);  // renews sent, none answered (the database is unreachable)
  keeper.plan(t0 + 4s, std::nullopt);
  const auto round = keeper.plan(t0 + 8s, std::nullopt);
  EXPECT_EQ(of_kind<Lost>(round.events), (std::vector<HeldLease>{{0, 1}}));
  EXPECT_EQ(round.abandon, (std::vector<HeldLease>{{0, 1}}));
  EXPECT_TRUE(round.renew.empty());
  EXPECT_TRUE(keeper.plan(t0 + 9s, std::nullopt).abandon.empty());
}

TEST(LeaseKeeperTest, LateAnswer_ForAnOlderEpoch_IsIgnored) {
  LeaseKeeper keeper("a", 4, timing);
  keeper.claimed({0, 1}, t0);
  const auto reclaimed = keeper.claimed({0, 2}, t0 + 1s);
  EXPECT_EQ(of_kind<Lost>(reclaimed), (std::vector<HeldLease>{{0, 1}}));
  EXPECT_TRUE(keeper.renewed({0, 1}, t0 + 1s, false).empty());
  EXPECT_TRUE(keeper.holds({0, 2}, t0 + 2s));
}

TEST(LeaseKeeperTest, AbandonedLeases_AreAdoptedEvenOverTheShare) {
  LeaseKeeper keeper("a", 4, timing);
  keeper.claimed({0, 1}, t0);
  keeper.claimed({1, 1}, t0);
  const auto round =
      keeper.plan(t0 + 1s, ClusterView{{"a", "b"},
                                       {lease_of(0, "a"), lease_of(1, "a"), lease_of(2, "b", false, true),  // expired
                                        lease_of(3, "c", true, false)}});  // its session died
  EXPECT_EQ(round.adopt, (std::vector<int>{2, 3}));
  EXPECT_TRUE(round.claim.empty());
  EXPECT_EQ(round.claims_wanted, 0U);
}

TEST(LeaseKeeperTest, HeldAndLockedByALiveSession_IsLeftAlone) {
  LeaseKeeper keeper("a", 2, timing);
  const auto round = keeper.plan(t0, ClusterView{{"a", "b"}, {lease_of(0, "b"), lease_of(1, "b")}});
  EXPECT_TRUE(round.adopt.empty());
  EXPECT_TRUE(round.claim.empty());
  EXPECT_EQ(round.claims_wanted, 1U);
}

TEST(LeaseKeeperTest, OverTheShareForALiveWindow_HandsTheHighestShardsOverCleanly) {
  LeaseKeeper keeper("a", 4, timing);
  for (int shard = 0; shard < 4; ++shard) keeper.claimed({shard, 1}, t0);
  ClusterView joined{{"a", "b"}, {lease_of(0, "a"), lease_of(1, "a"), lease_of(2, "a"), lease_of(3, "a")}};
  EXPECT_TRUE(of_kind<ReleaseWanted>(keeper.plan(t0 + 1s, joined).events).empty());
  for (int shard = 0; shard < 4; ++shard) keeper.renewed({shard, 1}, t0 + 5s, true);
  EXPECT_TRUE(of_kind<ReleaseWanted>(keeper.plan(t0 + 10s, joined).events).empty());
  for (int shard = 0; shard < 4; ++shard) keeper.renewed({shard, 1}, t0 + 10s, true);
  auto round = keeper.plan(t0 + 11s, joined);
  EXPECT_EQ(of_kind<ReleaseWanted>(round.events), (std::vector<HeldLease>{{3, 1}, {2, 1}}));
  EXPECT_TRUE(round.release.empty());
  // Asked once; kept and renewed until the owner has snapshotted them.
  round = keeper.plan(t0 + 12s, joined);
  EXPECT_TRUE(of_kind<ReleaseWanted>(round.events).empty());
  EXPECT_EQ(round.renew.size(), 4U);
  keeper.renewed({2, 1}, t0 + 12s, true);
  keeper.renewed({3, 1}, t0 + 12s, true);
  keeper.hand_back({3, 1});
  round = keeper.plan(t0 + 12500ms, joined);
  EXPECT_EQ(round.release, (std::vector<HeldLease>{{3, 1}}));
  EXPECT_EQ(of_kind<Released>(keeper.released({3, 1})), (std::vector<HeldLease>{{3, 1}}));
  EXPECT_FALSE(keeper.holds({3, 1}, t0 + 12500ms));
  EXPECT_TRUE(keeper.holds({2, 1}, t0 + 12500ms));
}

TEST(LeaseKeeperTest, AdoptedShards_AreKeptWhenTheDeadDaemonAgesOut) {
  LeaseKeeper keeper("a", 4, timing);
  for (int shard = 0; shard < 4; ++shard) keeper.claimed({shard, 1}, t0);
  // c died holding 2 and 3, which a adopted; c counts live until its last heartbeat ages out.
  const std::vector<LeaseRow> leases{lease_of(0, "a"), lease_of(1, "a"), lease_of(2, "a"), lease_of(3, "a")};
  const auto renew_all = [&](TimePoint sent) {
    for (int shard = 0; shard < 4; ++shard) keeper.renewed({shard, 1}, sent, true);
  };
  EXPECT_TRUE(of_kind<ReleaseWanted>(keeper.plan(t0 + 1s, ClusterView{{"a", "c"}, leases}).events).empty());
  renew_all(t0 + 5s);
  EXPECT_TRUE(of_kind<ReleaseWanted>(keeper.plan(t0 + 9s, ClusterView{{"a", "c"}, leases}).events).empty());
  renew_all(t0 + 9s);
  EXPECT_TRUE(of_kind<ReleaseWanted>(keeper.plan(t0 + 11s, ClusterView{{"a"}, leases}).events).empty());
  renew_all(t0 + 11s);
  EXPECT_TRUE(of_kind<ReleaseWanted>(keeper.plan(t0 + 12s, ClusterView{{"a", "c"}, leases}).events).empty());
  EXPECT_EQ(keeper.held().size(), 4U);
}

TEST(LeaseKeeperTest, HandedBack_IsReleasedNotRenewed) {
  LeaseKeeper keeper("a", 2, timing);
  keeper.claimed({0, 1}, t0);
  keeper.hand_back({0, 1});
  keeper.hand_back({0, 9});  // not ours: nothing
  const auto round = keeper.plan(t0 + 3s, std::nullopt);
  EXPECT_TRUE(round.renew.empty());
  EXPECT_EQ(round.release, (std::vector<HeldLease>{{0, 1}}));
}

}  // namespace
}  // namespace sterifleet::cluster
