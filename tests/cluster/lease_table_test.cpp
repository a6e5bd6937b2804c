// The lease table against a real PostgreSQL: one free lease per shard, claims that bump the epoch,
// renewal, expiry by the database's clock, clean release, the fast path after the owner's session died,
// and heartbeats.
#include "sterifleet/cluster/lease_table.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <thread>

#include "cluster_database.hpp"

namespace sterifleet::cluster {
namespace {

using namespace std::chrono_literals;
using testing::cluster_database;
using testing::lease_options;

LeaseRow lease_of(LeaseTable& table, int shard) { return table.leases().at(static_cast<std::size_t>(shard)); }

TEST(LeaseTableTest, Init_MakesOneFreeLeasePerShard) {
  LeaseTable table(lease_options(cluster_database(), "a"));
  table.init(4);
  table.init(4);  // a second daemon, or a restart, finds them there
  const auto leases = table.leases();
  ASSERT_EQ(leases.size(), 4U);
  for (int shard = 0; shard < 4; ++shard) {
    const auto& lease = leases[static_cast<std::size_t>(shard)];
    EXPECT_EQ(lease.shard, shard);
    EXPECT_FALSE(lease.owner);
    EXPECT_EQ(lease.epoch, 0);
    EXPECT_FALSE(lease.held);
    EXPECT_FALSE(lease.locked);
    EXPECT_FALSE(lease.expires_at);
  }
}

TEST(LeaseTableTest, Init_RefusesAnotherShardCount) {
  const auto url = cluster_database();
  LeaseTable first(lease_options(url, "a"));
  first.init(4);
  LeaseTable second(lease_options(url, "b"));
  try {
    second.init(8);
    FAIL() << "a second shard count was accepted";
  } catch (const ClusterError& e) {
    EXPECT_STREQ(e.what(),
                 "the database's cluster has 4 shards and this daemon is set to 8: the shard count is fixed when the "
                 "cluster is created (every clinic's shard would move), so set cluster.shards = 4");
  }
  EXPECT_EQ(first.leases().size(), 4U);
}

TEST(LeaseTableTest, Init_RefusesAShardCountOutOfRange) {
  LeaseTable table(lease_options(cluster_database(), "a"));
  EXPECT_THROW(table.init(0), ClusterError);
  EXPECT_THROW(table.init(1025), ClusterError);
}

TEST(LeaseTableTest, Init_WithoutTheSchema_SaysTheTablesAreMissing) {
  LeaseTable table(lease_options(sterifleet::testing::shared_postgres().fresh_database("bare"), "a"));
  try {
    table.init(4);
    FAIL() << "init worked without the cluster tables";
  } catch (const ClusterError& e) {
    EXPECT_NE(std::string(e.what()).find("the cluster tables are missing (run the store's migrations first)"),
              std::string::npos)
        << e.what();
  }
}

TEST(LeaseTableTest, Claim_ShardOutOfRange_IsRefused) {
  LeaseTable table(lease_options(cluster_database(), "a"));
  table.init(4);
  EXPECT_THROW(table.claim(4), ClusterError);
  EXPECT_THROW(table.claim(-1), ClusterError);
}

TEST(LeaseTableTest, Claim_FreeLease_IsHeldWithEpochOne) {
  LeaseTable table(lease_options(cluster_database(), "a", 10s));
  table.init(4);
  EXPECT_EQ(table.claim(2), 1);
  const auto lease = lease_of(table, 2);
  EXPECT_EQ(lease.owner, "a");
  EXPECT_EQ(lease.epoch, 1);
  EXPECT_TRUE(lease.held);
  EXPECT_TRUE(lease.locked);
  EXPECT_GT(lease.remaining, 9s);
  EXPECT_LE(lease.remaining, 10s);
  EXPECT_TRUE(lease.claimed_at);
  EXPECT_FALSE(lease_of(table, 1).held);
}

TEST(LeaseTableTest, Claim_HeldLease_IsRefusedToAnotherDaemon) {
  const auto url = cluster_database();
  LeaseTable a(lease_options(url, "a", 10s));
  LeaseTable b(lease_options(url, "b", 10s));
  a.init(4);
  b.init(4);
  ASSERT_EQ(a.claim(0), 1);
  EXPECT_EQ(b.claim(0), std::nullopt);
  EXPECT_EQ(lease_of(b, 0).owner, "a");
  EXPECT_EQ(lease_of(b, 0).epoch, 1);
  EXPECT_TRUE(a.renew(0, 1));
}

TEST(LeaseTableTest, Renew_KeepsTheLeaseBeyondItsFirstTtl) {
  LeaseTable table(lease_options(cluster_database(), "a", 1000ms));
  table.init(1);
  ASSERT_EQ(table.claim(0), 1);
  std::this_thread::sleep_for(600ms);
  EXPECT_TRUE(table.renew(0, 1));
  std::this_thread::sleep_for(600ms);
  EXPECT_TRUE(lease_of(table, 0).held);
  EXPECT_TRUE(table.renew(0, 1));
}

TEST(LeaseTableTest, Expired_LeaseCannotBeRenewedAndIsClaimedWithTheNextEpoch) {
  const auto url = cluster_database();
  LeaseTable a(lease_options(url, "a", 500ms));
  LeaseTable b(lease_options(url, "b", 500ms));
  a.init(2);
  b.init(2);
  ASSERT_EQ(a.claim(1), 1);
  EXPECT_EQ(b.claim(1), std::nullopt);
  std::this_thread::sleep_for(600ms);
  const auto expired = lease_of(b, 1);
  EXPECT_FALSE(expired.held);
  EXPECT_EQ(expired.remaining, 0ms);
  // a, paused, keeps its session and its lock: b takes the lease only because it expired.
  EXPECT_TRUE(expired.locked);
  EXPECT_EQ(b.claim(1), 2);
  EXPECT_EQ(lease_of(b, 1).owner, "b");
  EXPECT_FALSE(a.renew(1, 1));
}

TEST(LeaseTableTest, Release_FreesTheLeaseAndItsLockAtOnce) {
  const auto url = cluster_database();
  LeaseTable a(lease_options(url, "a", 10s));
  LeaseTable b(lease_options(url, "b", 10s));
  a.init(2);
  b.init(2);
  ASSERT_EQ(a.claim(0), 1);
  a.release(0, 1);
  const auto released = lease_of(b, 0);
  EXPECT_FALSE(released.owner);
  EXPECT_FALSE(released.held);
  EXPECT_FALSE(released.locked);
  EXPECT_FALSE(released.expires_at);
  EXPECT_EQ(b.claim(0), 2);
  EXPECT_FALSE(a.renew(0, 1));
}

TEST(LeaseTableTest, Release_OfAnOldEpoch_LeavesTheNewOwnerAlone) {
  const auto url = cluster_database();
  LeaseTable a(lease_options(url, "a", 300ms));
  LeaseTable b(lease_options(url, "b", 10s));
  a.init(1);
  b.init(1);
  ASSERT_EQ(a.claim(0), 1);
  std::this_thread::sleep_for(400ms);
  ASSERT_EQ(b.claim(0), 2);
  a.release(0, 1);
  EXPECT_EQ(lease_of(b, 0).owner, "b");
  EXPECT_TRUE(b.renew(0, 2));
}

TEST(LeaseTableTest, Release_ThatFails_StillLetsTheLockGo) {
  const auto url = cluster_database();
  auto options = lease_options(url, "a", 10s);
  options.statement_timeout = 200ms;
  LeaseTable a(options);
  a.init(1);
  ASSERT_EQ(a.claim(0), 1);
  pqxx::connection blocker(url);
  pqxx::work lock(blocker);
  lock.exec("LOCK TABLE shard_leases IN ACCESS EXCLUSIVE MODE");
  EXPECT_THROW(a.release(0, 1), ClusterError);  // statement timeout
  lock.abort();
  const auto lease = lease_of(a, 0);
  EXPECT_TRUE(lease.held);
  EXPECT_FALSE(lease.locked);
}

TEST(LeaseTableTest, FastPath_OwnersSessionGone_UnexpiredLeaseIsClaimedAtOnce) {
  const auto url = cluster_database();
  auto a = std::make_unique<LeaseTable>(lease_options(url, "a", 60s));
  LeaseTable b(lease_options(url, "b", 60s));
  a->init(2);
  b.init(2);
  ASSERT_EQ(a->claim(0), 1);
  a.reset();  // its process died: the connection closes and the session's advisory lock goes with it
  std::optional<Epoch> epoch;
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (!epoch && std::chrono::steady_clock::now() < give_up) {
    epoch = b.claim(0);
    if (!epoch) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(epoch, 2);
  const auto lease = lease_of(b, 0);
  EXPECT_EQ(lease.owner, "b");
  EXPECT_GT(lease.remaining, 50s);
}

TEST(LeaseTableTest, FastPath_AfterAPausedOwner_TheNewOwnerTakesTheLockAtItsRenew) {
  const auto url = cluster_database();
  LeaseTable zombie(lease_options(url, "z", 300ms));
  auto b = std::make_unique<LeaseTable>(lease_options(url, "b", 60s));
  LeaseTable c(lease_options(url, "c", 60s));
  zombie.init(1);
  b->init(1);
  c.init(1);
  ASSERT_EQ(zombie.claim(0), 1);
  std::this_thread::sleep_for(400ms);
  ASSERT_EQ(b->claim(0), 2);         // by expiry, while the paused owner still holds the lock
  EXPECT_FALSE(zombie.renew(0, 1));  // it wakes up, finds the lease gone and lets the lock go
  EXPECT_FALSE(lease_of(c, 0).locked);
  EXPECT_TRUE(b->renew(0, 2));
  EXPECT_TRUE(lease_of(c, 0).locked);
  EXPECT_EQ(c.claim(0), std::nullopt);
  b.reset();
  std::optional<Epoch> epoch;
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (!epoch && std::chrono::steady_clock::now() < give_up) {
    epoch = c.claim(0);
    if (!epoch) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(epoch, 3);
}

TEST(LeaseTableTest, Heartbeat_LiveDaemonsAreThoseWithinTheWindow) {
  const auto url = cluster_database();
  LeaseTable a(lease_options(url, "a"));
  LeaseTable b(lease_options(url, "b"));
  a.heartbeat("http://10.0.0.1:8080");
  b.heartbeat("");
  auto live = a.live_daemons(300ms);
  ASSERT_EQ(live.size(), 2U);
  EXPECT_EQ(live[0].id, "a");
  EXPECT_EQ(live[0].api, "http://10.0.0.1:8080");
  EXPECT_EQ(live[1].id, "b");
  EXPECT_LE(live[0].started_at, live[0].heartbeat_at);
  std::this_thread::sleep_for(400ms);
  a.heartbeat("http://10.0.0.1:8080");
  live = b.live_daemons(300ms);
  ASSERT_EQ(live.size(), 1U);
  EXPECT_EQ(live[0].id, "a");
  EXPECT_LT(live[0].started_at, live[0].heartbeat_at);  // a later heartbeat keeps the start
}

TEST(LeaseTableTest, Heartbeat_OfANewProcessWithTheSameId_StartsAnew) {
  const auto url = cluster_database();
  auto first = std::make_unique<LeaseTable>(lease_options(url, "a"));
  first->heartbeat("http://old");
  const auto first_start = first->live_daemons(10s).at(0).started_at;
  first.reset();
  std::this_thread::sleep_for(50ms);
  LeaseTable second(lease_options(url, "a"));
  second.heartbeat("http://new");
  const auto live = second.live_daemons(10s);
  ASSERT_EQ(live.size(), 1U);
  EXPECT_GT(live[0].started_at, first_start);
  EXPECT_EQ(live[0].api, "http://new");
}

}  // namespace
}  // namespace sterifleet::cluster
