// The runner's threads against a real PostgreSQL: a lone daemon takes every shard, a joining one gets
// its share handed over cleanly, three started together settle on their shares, the unexpired shards of
// a dead daemon are adopted at once (fast path), and a lease is given up at its local deadline while
// the renew still waits on the database.
#include "sterifleet/cluster/lease_runner.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <set>
#include <thread>
#include <vector>

#include "cluster_database.hpp"

namespace sterifleet::cluster {
namespace {

using namespace std::chrono_literals;
using testing::cluster_database;
using testing::lease_options;

constexpr LeaseTiming fast{.ttl = 1000ms, .renew_interval = 200ms, .safety_margin = 300ms, .live_window = 600ms};

// What one daemon was told, as the shards it works on now.
class Shards {
 public:
  LeaseHandlers handlers(std::function<void(HeldLease)> on_release_wanted = {}) {
    return LeaseHandlers{
        .gained = [this](HeldLease lease) { change([&] { working_.insert(lease.shard); }); },
        .lost =
            [this](HeldLease lease) {
              change([&] {
                working_.erase(lease.shard);
                ++lost_;
              });
            },
        .release_wanted = std::move(on_release_wanted),
        .released = [this](HeldLease lease) { change([&] { working_.erase(lease.shard); }); },
    };
  }
  std::set<int> working() const {
    const std::lock_guard lock(mutex_);
    return working_;
  }
  int lost() const {
    const std::lock_guard lock(mutex_);
    return lost_;
  }

 private:
  template <typename F>
  void change(F&& f) {
    const std::lock_guard lock(mutex_);
    f();
  }
  mutable std::mutex mutex_;
  std::set<int> working_;
  int lost_ = 0;
};

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds within = 8s) {
  const auto give_up = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < give_up) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

LeaseRunnerOptions runner_options(const std::string& url, const std::string& daemon, LeaseTiming timing = fast) {
  return LeaseRunnerOptions{.table = lease_options(url, daemon), .shards = 4, .timing = timing, .api = daemon};
}

TEST(LeaseRunnerTest, JoiningDaemon_GetsItsShareHandedOverCleanly) {
  const auto url = cluster_database();
  Shards a_shards;
  std::unique_ptr<LeaseRunner> a;
  // a's owner "snapshots" at once and hands the shard back.
  a = std::make_unique<LeaseRunner>(runner_options(url, "a"),
                                    a_shards.handlers([&](HeldLease lease) { a->hand_back(lease); }));
  a->start();
  ASSERT_TRUE(eventually([&] { return a_shards.working() == std::set<int>{0, 1, 2, 3}; }));

  Shards b_shards;
  LeaseRunner b(runner_options(url, "b"), b_shards.handlers());
  b.start();
  ASSERT_TRUE(eventually([&] { return b_shards.working().size() == 2 && a_shards.working().size() == 2; }))
      << "a works on " << a_shards.working().size() << ", b on " << b_shards.working().size();
  EXPECT_EQ(a_shards.working(), (std::set<int>{0, 1}));
  EXPECT_EQ(b_shards.working(), (std::set<int>{2, 3}));
  EXPECT_EQ(a_shards.lost() + b_shards.lost(), 0);  // handed over, never taken
  EXPECT_TRUE(b.holds(b.held().front()));

  b.stop();  // its shards released cleanly: a takes them back once b's heartbeat ages out
  EXPECT_TRUE(b_shards.working().empty());
  EXPECT_TRUE(eventually([&] { return a_shards.working() == std::set<int>{0, 1, 2, 3}; }));
  a->stop();
}

TEST(LeaseRunnerTest, ThreeDaemonsStartedTogether_SettleOnTheirSharesWithoutLosingAny) {
  const auto url = cluster_database();
  std::vector<std::unique_ptr<Shards>> shards;
  std::vector<std::unique_ptr<LeaseRunner>> runners;
  for (const std::string id : {"a", "b", "c"}) {
    shards.push_back(std::make_unique<Shards>());
    auto options = runner_options(url, id);
    options.shards = 8;
    const auto index = runners.size();
    runners.push_back(nullptr);
    runners[index] = std::make_unique<LeaseRunner>(
        options, shards.back()->handlers([&runners, index](HeldLease lease) { runners[index]->hand_back(lease); }));
  }
  for (auto& runner : runners) runner->start();
  const auto settled = [&] {
    std::multiset<std::size_t> sizes;
    std::set<int> all;
    std::size_t total = 0;
    for (const auto& daemon : shards) {
      const auto working = daemon->working();
      sizes.insert(working.size());
      all.insert(working.begin(), working.end());
      total += working.size();
    }
    return sizes == std::multiset<std::size_t>{2, 3, 3} && all.size() == 8 && total == 8;
  };
  EXPECT_TRUE(eventually(settled, 15s));
  std::this_thread::sleep_for(1s);  // and stays so: nobody over its share any more
  EXPECT_TRUE(settled());
  for (const auto& daemon : shards) EXPECT_EQ(daemon->lost(), 0);
  for (auto& runner : runners) runner->stop();
}

TEST(LeaseRunnerTest, DeadOwner_ItsUnexpiredShardsAreAdoptedAtOnce) {
  const auto url = cluster_database();
  {
    // A daemon that claimed three shards for a minute and died: its session, and its locks, are gone.
    LeaseTable dead(lease_options(url, "dead", 60s));
    dead.init(4);
    for (int shard = 0; shard < 3; ++shard) ASSERT_EQ(dead.claim(shard), 1);
    dead.heartbeat("");
  }
  Shards b_shards;
  const auto started = std::chrono::steady_clock::now();
  LeaseRunner b(runner_options(url, "b"), b_shards.handlers());
  b.start();
  // Its share is 2 while the dead daemon's heartbeat is recent, but abandoned shards are taken anyway.
  EXPECT_TRUE(eventually([&] { return b_shards.working() == std::set<int>{0, 1, 2, 3}; }, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ(b_shards.lost(), 0);
  b.stop();
}

TEST(LeaseRunnerTest, RenewStuckInTheDatabase_LeaseLostAtTheLocalDeadline) {
  const auto url = cluster_database();
  Shards a_shards;
  LeaseRunner a(runner_options(url, "a"), a_shards.handlers());
  a.start();
  ASSERT_TRUE(eventually([&] { return a_shards.working().size() == 4; }));
  const auto held = a.held();
  // Renews wait for this lock; the lease thread is stuck in one of them.
  pqxx::connection blocker(url);
  pqxx::work lock(blocker);
  lock.exec("LOCK TABLE shard_leases IN ACCESS EXCLUSIVE MODE");
  const auto locked = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return a_shards.working().empty(); }, 3s));
  // The last renew was sent at most a renew interval before the lock: ttl - margin after it at most.
  EXPECT_LT(std::chrono::steady_clock::now() - locked, fast.ttl - fast.safety_margin + 200ms);
  EXPECT_EQ(a_shards.lost(), 4);
  for (const auto& lease : held) EXPECT_FALSE(a.holds(lease));
  lock.abort();
  a.stop();
}

}  // namespace
}  // namespace sterifleet::cluster
