// The shard runtime on a real PostgreSQL and a real Mosquitto: a node runs the shards it leases, each
// with its own fleet, writer store and persistent session; a SIGKILLed node's shards are taken over
// (the fast path) and the messages the broker queued meanwhile are stored exactly once; a zombie worker
// whose lease was taken commits nothing and acknowledges nothing.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "cluster_node.hpp"
#include "runtime_support.hpp"
#include "shard_worker.hpp"
#include "sterifleet/cluster/lease_table.hpp"
#include "sterifleet/engine/policy.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/time.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/postgres.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::app {
namespace {

using namespace std::chrono_literals;
using namespace runtime_test;
using sterifleet::testing::shared_postgres;
using sterifleet::testing::Subprocess;
using sterifleet::testing::TempDir;

TEST(ClusterNodeTest, OneNodeFourShards_StoresEachClinicsMessagesOnce_AlertsAsOnSqlite) {
  const auto url = shared_postgres().fresh_database("node");
  Mosquitto broker;
  auto options =
      node_options(url, broker, "solo", 4, {{protocol::ClinicId("north"), 1}, {protocol::ClinicId("south"), 2}});
  create_sessions(broker, options.map);
  ClusterNode node(std::move(options), engine::default_policy(), failing_test(), test_events());
  node.start();
  ASSERT_TRUE(eventually([&] { return node.running().size() == 4; })) << node.running().size();
  EXPECT_EQ(count(url, "SELECT count(*) FROM shard_leases WHERE owner = 'solo'"), 4);

  auto traffic = pen_traffic("north", "PEN-N1");
  for (auto& m : pen_traffic("south", "PEN-S1")) traffic.push_back(std::move(m));
  publish(broker, traffic);
  ASSERT_TRUE(eventually([&] { return count(url, "SELECT count(*) FROM messages") == std::ssize(traffic); }))
      << count(url, "SELECT count(*) FROM messages");
  EXPECT_EQ(count(url, "SELECT count(DISTINCT (device, boot, seq)) FROM messages"), std::ssize(traffic));
  // Each clinic's messages were committed by its own shard.
  EXPECT_EQ(count(url, "SELECT count(*) FROM messages WHERE clinic = 'north' AND shard <> 1"), 0);
  EXPECT_EQ(count(url, "SELECT count(*) FROM messages WHERE clinic = 'south' AND shard <> 2"), 0);
  node.stop();
  EXPECT_EQ(count(url, "SELECT count(*) FROM shard_leases WHERE owner IS NOT NULL"), 0);  // released at stop

  // The same input through a Fleet on SQLite raises the same alerts.
  TempDir dir("sterifleet-runtime-sqlite");
  const auto sqlite = store::open_sqlite((dir.path() / "single.db").string());
  NullCommands commands;
  fleet::EventBus events;
  fleet::Metrics metrics;
  fleet::Fleet single(engine::default_policy(), *sqlite, commands, events, metrics, now_ms);
  single.restore();
  for (const auto& m : traffic) single.ingest(m.topic, m.payload);
  const auto postgresql = store::open_postgresql(url);
  const auto expected = alerts_of(*sqlite);
  EXPECT_EQ(alerts_of(*postgresql), expected);
  EXPECT_EQ(std::count_if(expected.begin(), expected.end(),
                          [](const auto& alert) { return std::get<0>(alert) == "cartridge.reused"; }),
            2);
}

TEST(ClusterNodeTest, KilledNode_ItsShardsAreTakenOver_QueuedMessagesStoredExactlyOnce) {
  const auto url = shared_postgres().fresh_database("takeover");
  Mosquitto broker;
  std::map<protocol::ClinicId, cluster::Shard> pins;
  std::vector<std::string> pin_args;
  for (int shard = 0; shard < 4; ++shard) {
    const auto clinic = "clinic" + std::to_string(shard);
    pins.emplace(protocol::ClinicId(clinic), shard);
    pin_args.push_back(clinic + "=" + std::to_string(shard));
  }
  create_sessions(broker, cluster::ShardMap(4, pins));
  store::migrate_postgresql(url);  // the test reads the leases before the nodes started
  TempDir dir("sterifleet-node-a");
  std::vector<std::string> argv{CLUSTER_NODE_PROCESS, url, broker.url(), "a", "4", "2000"};
  argv.insert(argv.end(), pin_args.begin(), pin_args.end());
  Subprocess a(argv, dir.path() / "out", dir.path() / "err");
  const auto held_by = [&](const std::string& daemon) {
    return count(url, "SELECT count(*) FROM shard_leases WHERE owner = '" + daemon + "' AND expires_at > now()");
  };
  ASSERT_TRUE(eventually([&] { return held_by("a") == 4; })) << a.stderr_text();

  ClusterNode b(node_options(url, broker, "b", 4, pins), engine::default_policy(), failing_test(), test_events());
  b.start();
  ASSERT_TRUE(eventually([&] { return held_by("a") == 2 && b.running().size() == 2; }))
      << held_by("a") << " " << b.running().size() << "\n"
      << a.stderr_text();

  std::vector<Message> before;
  for (int shard = 0; shard < 4; ++shard) {
    for (auto& m : pen_traffic("clinic" + std::to_string(shard), "PEN-" + std::to_string(shard))) before.push_back(m);
  }
  publish(broker, before);
  ASSERT_TRUE(eventually([&] { return count(url, "SELECT count(*) FROM messages") == std::ssize(before); }))
      << count(url, "SELECT count(*) FROM messages");

  a.kill();
  const auto killed = std::chrono::steady_clock::now();
  std::vector<Message> meanwhile;
  for (int shard = 0; shard < 4; ++shard) {
    for (auto& m : pen_traffic("clinic" + std::to_string(shard), "PEN-" + std::to_string(shard), 100)) {
      meanwhile.push_back(m);
    }
  }
  publish(broker, meanwhile);
  ASSERT_TRUE(eventually([&] { return b.running().size() == 4; })) << b.running().size();
  // The fast path: a's advisory locks went with its process, so b did not wait for the leases to expire.
  EXPECT_LT(std::chrono::steady_clock::now() - killed, 10s);
  const auto all = std::ssize(before) + std::ssize(meanwhile);
  ASSERT_TRUE(eventually([&] { return count(url, "SELECT count(*) FROM messages") == all; }))
      << count(url, "SELECT count(*) FROM messages") << " of " << all;
  EXPECT_EQ(count(url, "SELECT count(DISTINCT (device, boot, seq)) FROM messages"), all);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(count(url, "SELECT count(*) FROM messages"), all);  // nothing came twice
  b.stop();
}

TEST(ClusterNodeTest, APinThatWouldMoveARegisteredClinic_IsRefusedNamingIt) {
  const auto url = shared_postgres().fresh_database("pins");
  Mosquitto broker;
  ClusterNode first(node_options(url, broker, "a", 4, {{protocol::ClinicId("north"), 1}}), engine::default_policy(),
                    failing_test(), test_events());
  try {
    ClusterNode moved(node_options(url, broker, "b", 4, {{protocol::ClinicId("north"), 2}}), engine::default_policy(),
                      failing_test(), test_events());
    FAIL() << "a pin moving a clinic was accepted";
  } catch (const cluster::ClusterError& e) {
    EXPECT_NE(std::string(e.what()).find("clinic \"north\" is on shard 1 in the cluster"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("not supported yet"), std::string::npos) << e.what();
  }
  EXPECT_EQ(count(url, "SELECT shard FROM clinic_shards WHERE clinic = 'north'"), 1);
}

TEST(ClusterNodeTest, AClinicRegisteredWhileTheNodeRuns_IsHeardByItsShard) {
  const auto url = shared_postgres().fresh_database("joins");
  Mosquitto broker;
  auto options = node_options(url, broker, "solo", 4, {{protocol::ClinicId("north"), 1}});
  ClusterNode node(std::move(options), engine::default_policy(), failing_test(), test_events());
  node.start();
  ASSERT_TRUE(eventually([&] { return node.running().size() == 4; }));
  // Another daemon (or `sterifleet cluster clinic add`, later) registers a clinic on shard 1.
  {
    pqxx::connection connection(url);
    pqxx::work tx(connection);
    tx.exec("INSERT INTO clinic_shards (clinic, shard, pinned) VALUES ('west', 1, true)");
    tx.commit();
  }
  const auto traffic = pen_traffic("west", "PEN-W1");
  // Subscribed within a poll or two (until then the lobby keeps what comes, once its session exists).
  ASSERT_TRUE(eventually([&] {
    publish(broker, {traffic[0]});
    return count(url, "SELECT count(*) FROM messages WHERE clinic = 'west'") > 0;
  }));
  EXPECT_EQ(count(url, "SELECT count(*) FROM messages WHERE clinic = 'west' AND shard <> 1"), 0);
  node.stop();
}

TEST(ShardWorkerTest, ZombieWhoseLeaseWasTaken_CommitsNothing_Stops_AndItsMessageGoesToTheNewOwner) {
  const auto url = shared_postgres().fresh_database("zombie");
  Mosquitto broker;
  store::migrate_postgresql(url);
  constexpr int shard = 1;
  const cluster::ShardMap map(4, {{protocol::ClinicId("north"), shard}});
  const std::vector<protocol::ClinicId> clinics{protocol::ClinicId("north")};
  create_sessions(broker, map);
  cluster::LeaseTable zombie_table({.url = url, .daemon_id = "zombie", .ttl = 4000ms});
  zombie_table.init(4);
  const auto zombie_epoch = zombie_table.claim(shard);
  ASSERT_TRUE(zombie_epoch);

  const auto worker_options = [&](const std::string& owner, cluster::Epoch epoch) {
    ShardWorkerOptions options{.lease = {shard, epoch},
                               .owner = owner,
                               .store_url = url,
                               .mqtt = {.url = broker.url(), .client_id = map.client_id(shard)},
                               .filters = map.topic_filters(shard, clinics),
                               .tick = 60s};
    return options;
  };
  std::atomic<int> fenced{0};
  const ShardWorkerHandlers handlers{.fenced = [&](cluster::HeldLease, const std::string&) { ++fenced; },
                                     .fatal = failing_test()};
  ShardWorker zombie(worker_options("zombie", *zombie_epoch), engine::default_policy(), handlers, test_events());
  zombie.start();
  ASSERT_TRUE(eventually([&] { return zombie.connected(); }));
  const auto traffic = pen_traffic("north", "PEN-1");
  publish(broker, {traffic[0]});
  ASSERT_TRUE(eventually([&] { return count(url, "SELECT count(*) FROM messages") == 1; }));

  // The zombie "pauses" past its lease (it never renews); another daemon claims the expired lease.
  cluster::LeaseTable thief_table({.url = url, .daemon_id = "thief", .ttl = 10s});
  thief_table.init(4);
  std::optional<cluster::Epoch> thief_epoch;
  ASSERT_TRUE(eventually([&] { return (thief_epoch = thief_table.claim(shard)).has_value(); }, 8s));
  EXPECT_EQ(*thief_epoch, *zombie_epoch + 1);

  publish(broker, {traffic[1]});
  ASSERT_TRUE(eventually([&] { return fenced.load() == 1; }));
  EXPECT_FALSE(zombie.connected());
  EXPECT_EQ(count(url, "SELECT count(*) FROM messages"), 1);
  EXPECT_EQ(count(url,
                  "SELECT count(*) FROM commits c JOIN shard_leases l USING (shard) "
                  "WHERE c.owner = 'zombie' AND c.committed_at >= l.claimed_at"),
            0);
  zombie.stop_now();

  // The refused message was not acknowledged: the shard's session gives it to the new owner.
  ShardWorker owner(worker_options("thief", *thief_epoch), engine::default_policy(), handlers, test_events());
  owner.start();
  ASSERT_TRUE(eventually([&] { return count(url, "SELECT count(*) FROM messages") == 2; }))
      << count(url, "SELECT count(*) FROM messages");
  EXPECT_EQ(count(url, "SELECT count(*) FROM messages WHERE seq = 2"), 1);
  owner.stop_cleanly();
  EXPECT_EQ(fenced.load(), 1);
}

}  // namespace
}  // namespace sterifleet::app
