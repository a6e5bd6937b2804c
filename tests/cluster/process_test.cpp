// The fast path against real processes: the advisory lock of a SIGKILLed owner goes with its process, so
// its unexpired lease is claimed at once; a SIGSTOPped owner keeps its connection and its lock, so its
// lease is claimed only when it has expired.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "cluster_database.hpp"
#include "sterifleet/cluster/lease_table.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::cluster {
namespace {

using namespace std::chrono_literals;
using sterifleet::testing::Subprocess;
using sterifleet::testing::TempDir;
using testing::cluster_database;
using testing::lease_options;

// A process holding shard 0 of a one-shard cluster, once it said so.
struct Holder {
  Holder(const std::string& url, std::chrono::milliseconds ttl)
      : process({LEASE_HOLDER_PATH, url, "holder", "1", "0", std::to_string(ttl.count())}, dir.path() / "out",
                dir.path() / "err") {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (process.stdout_text() != "claimed 1\n") {
      if (!process.running() || std::chrono::steady_clock::now() > give_up) {
        throw std::runtime_error("lease_holder did not claim: " + process.stderr_text());
      }
      std::this_thread::sleep_for(10ms);
    }
  }
  TempDir dir{"sterifleet-lease-holder"};
  Subprocess process;
};

std::optional<Epoch> claim_within(LeaseTable& table, std::chrono::milliseconds within) {
  const auto give_up = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < give_up) {
    if (const auto epoch = table.claim(0)) return epoch;
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

TEST(ProcessTest, KilledOwner_ItsUnexpiredLeaseIsClaimedAtOnce) {
  const auto url = cluster_database();
  Holder holder(url, 60s);
  LeaseTable b(lease_options(url, "b"));
  b.init(1);
  EXPECT_EQ(b.claim(0), std::nullopt);
  holder.process.kill();
  const auto killed = std::chrono::steady_clock::now();
  EXPECT_EQ(claim_within(b, 5s), 2);
  EXPECT_LT(std::chrono::steady_clock::now() - killed, 5s);
}

TEST(ProcessTest, PausedOwner_KeepsItsLease_UntilItExpires) {
  const auto url = cluster_database();
  Holder holder(url, 1500ms);
  const auto claimed = std::chrono::steady_clock::now();
  holder.process.signal(SIGSTOP);
  LeaseTable b(lease_options(url, "b"));
  b.init(1);
  EXPECT_EQ(claim_within(b, 700ms), std::nullopt);
  EXPECT_TRUE(b.leases().front().locked);
  EXPECT_EQ(claim_within(b, 3s), 2);
  EXPECT_GT(std::chrono::steady_clock::now() - claimed, 1400ms);  // by the database's clock, ~the ttl
  EXPECT_TRUE(b.leases().front().locked);                         // the paused holder still has its lock
  holder.process.signal(SIGCONT);
}

}  // namespace
}  // namespace sterifleet::cluster
