// Fencing in the database: a commit row is refused (SQLSTATE SF001) unless its shard's lease is held by
// its owner with its epoch and unexpired, so a paused owner that lost its lease commits nothing; and a
// commit in flight makes a claim wait until it is done.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "cluster_database.hpp"
#include "sterifleet/cluster/lease_table.hpp"

namespace sterifleet::cluster {
namespace {

using namespace std::chrono_literals;
using testing::cluster_database;
using testing::lease_options;

// What a shard writer does first in every write transaction.
void insert_commit(pqxx::transaction_base& work, int shard, std::int64_t seq, Epoch epoch, const std::string& owner) {
  work.exec_params("INSERT INTO commits (shard, seq, epoch, owner) VALUES ($1, $2, $3, $4)", shard, seq, epoch, owner);
}

// The SQLSTATE the commit failed with, or "" if it was stored.
std::string commit_outcome(const std::string& url, int shard, std::int64_t seq, Epoch epoch, const std::string& owner) {
  pqxx::connection connection(url);
  try {
    pqxx::work work(connection);
    insert_commit(work, shard, seq, epoch, owner);
    work.commit();
    return "";
  } catch (const pqxx::sql_error& e) {
    return e.sqlstate();
  }
}

TEST(FencingTest, Commit_OfTheHoldingEpoch_IsStored) {
  const auto url = cluster_database();
  LeaseTable a(lease_options(url, "a", 10s));
  a.init(2);
  ASSERT_EQ(a.claim(1), 1);
  EXPECT_EQ(commit_outcome(url, 1, 1, 1, "a"), "");
  EXPECT_EQ(commit_outcome(url, 1, 2, 1, "a"), "");
}

TEST(FencingTest, Commit_WithoutALease_IsRefused) {
  const auto url = cluster_database();
  LeaseTable a(lease_options(url, "a", 10s));
  a.init(2);
  ASSERT_EQ(a.claim(1), 1);
  EXPECT_EQ(commit_outcome(url, 0, 1, 0, "a"), "SF001");  // free shard
  EXPECT_EQ(commit_outcome(url, 1, 1, 1, "b"), "SF001");  // another owner
  EXPECT_EQ(commit_outcome(url, 1, 1, 2, "a"), "SF001");  // an epoch not claimed
}

TEST(FencingTest, Zombie_AfterTakeover_CannotRenewNorCommit) {
  const auto url = cluster_database();
  LeaseTable zombie(lease_options(url, "a", 500ms));
  LeaseTable b(lease_options(url, "b", 10s));
  zombie.init(1);
  b.init(1);
  ASSERT_EQ(zombie.claim(0), 1);
  ASSERT_EQ(commit_outcome(url, 0, 1, 1, "a"), "");
  std::this_thread::sleep_for(600ms);                     // paused past its lease
  EXPECT_EQ(commit_outcome(url, 0, 2, 1, "a"), "SF001");  // expired, even before anyone claims
  ASSERT_EQ(b.claim(0), 2);
  EXPECT_FALSE(zombie.renew(0, 1));
  EXPECT_EQ(commit_outcome(url, 0, 2, 1, "a"), "SF001");
  EXPECT_EQ(commit_outcome(url, 0, 2, 2, "b"), "");
}

TEST(FencingTest, Refusal_NamesTheShardEpochAndOwner) {
  const auto url = cluster_database();
  LeaseTable a(lease_options(url, "a", 10s));
  a.init(4);
  pqxx::connection connection(url);
  pqxx::work work(connection);
  try {
    insert_commit(work, 3, 1, 7, "a");
    FAIL() << "the commit was stored";
  } catch (const pqxx::sql_error& e) {
    EXPECT_NE(std::string(e.what()).find("shard 3 lease epoch 7 of a is not held: commit refused"), std::string::npos)
        << e.what();
  }
}

TEST(FencingTest, CommitInFlight_MakesTheClaimWait_ThenLaterCommitsOfTheOldEpochAreRefused) {
  const auto url = cluster_database();
  LeaseTable a(lease_options(url, "a", 500ms));
  LeaseTable b(lease_options(url, "b", 10s));
  a.init(1);
  b.init(1);
  ASSERT_EQ(a.claim(0), 1);
  pqxx::connection writer(url);
  auto in_flight = std::make_unique<pqxx::work>(writer);
  insert_commit(*in_flight, 0, 1, 1, "a");  // the lease row is now held FOR SHARE until this commits
  std::this_thread::sleep_for(600ms);       // the lease expires while the commit is still open
  auto claim = std::async(std::launch::async, [&] { return b.claim(0); });
  EXPECT_EQ(claim.wait_for(500ms), std::future_status::timeout) << "the claim did not wait for the commit";
  in_flight->commit();
  ASSERT_EQ(claim.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(claim.get(), 2);
  // The commit that was in flight is stored: the new owner replays it.
  EXPECT_EQ(sterifleet::testing::shared_postgres().query(url.substr(url.rfind('/') + 1),
                                                         "SELECT count(*) FROM commits WHERE epoch = 1"),
            "1");
  EXPECT_EQ(commit_outcome(url, 0, 2, 1, "a"), "SF001");
  EXPECT_EQ(commit_outcome(url, 0, 2, 2, "b"), "");
}

}  // namespace
}  // namespace sterifleet::cluster
