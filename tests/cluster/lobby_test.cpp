// The lobby on a real PostgreSQL and a real Mosquitto: a clinic nobody registered is heard, its messages
// are stored once on its hashed shard and then reach that shard's session directly; the lobby's holder
// killed before the clinic goes live loses nothing it acknowledged; a topic naming no valid clinic is
// quarantined, not fatal.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "cluster_node.hpp"
#include "runtime_support.hpp"
#include "sterifleet/cluster/lease_table.hpp"
#include "sterifleet/engine/policy.hpp"
#include "sterifleet/testing/postgres.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::app {
namespace {

using namespace std::chrono_literals;
using namespace runtime_test;
using sterifleet::testing::shared_postgres;
using sterifleet::testing::Subprocess;
using sterifleet::testing::TempDir;

void execute(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::work tx(connection);
  tx.exec(sql);
  tx.commit();
}

// Every row the lobby ever kept, though the shard's owner deletes each once it judged it.
void note_what_the_lobby_keeps(const std::string& url) {
  store::migrate_postgresql(url);
  execute(url,
          "CREATE TABLE lobby_seen (topic text NOT NULL);"
          "CREATE FUNCTION note_lobby() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          "INSERT INTO lobby_seen VALUES (NEW.topic); RETURN NEW; END $$;"
          "CREATE TRIGGER lobby_seen AFTER INSERT ON lobby_messages FOR EACH ROW EXECUTE FUNCTION note_lobby()");
}

TEST(LobbyTest, AClinicNobodyRegistered_IsStoredOnceOnItsHashedShard_ThenItsShardHearsItDirectly) {
  const auto url = shared_postgres().fresh_database("lobby");
  Mosquitto broker;
  auto options = node_options(url, broker, "solo", 4, {});
  const auto shard = options.map.shard_of(protocol::ClinicId("east"));
  create_sessions(broker, options.map);
  note_what_the_lobby_keeps(url);
  // Before any daemon runs: only the lobby's session is subscribed to them.
  const auto first = pen_traffic("east", "PEN-E1");
  publish(broker, first);
  publish(broker, {{"sterifleet/v1/no$clinic/PEN-X/event", R"({"type":"birth"})"}});

  ClusterNode node(std::move(options), engine::default_policy(), failing_test(), test_events());
  node.start();
  ASSERT_TRUE(eventually([&] { return count(url, "SELECT count(*) FROM messages") == std::ssize(first); }))
      << count(url, "SELECT count(*) FROM messages");
  EXPECT_EQ(count(url, "SELECT count(DISTINCT (device, boot, seq)) FROM messages"), std::ssize(first));
  EXPECT_EQ(count(url, "SELECT count(*) FROM messages WHERE shard <> " + std::to_string(shard)), 0);
  EXPECT_EQ(count(url, "SELECT shard FROM clinic_shards WHERE clinic = 'east' AND NOT pinned"), shard);
  EXPECT_EQ(count(url, "SELECT count(*) FROM lobby_seen"), std::ssize(first));
  // The topic names no valid clinic: quarantined on shard 0, as the single daemon's ingest keeps it.
  ASSERT_TRUE(eventually([&] { return count(url, "SELECT count(*) FROM quarantine WHERE shard = 0") == 1; }));
  EXPECT_EQ(count(url, "SELECT count(*) FROM clinic_shards"), 1);

  ASSERT_TRUE(eventually([&] { return count(url, "SELECT count(*) FROM clinic_shards WHERE live") == 1; }));
  const auto second = pen_traffic("east", "PEN-E1", 100);
  publish(broker, second);
  const auto all = std::ssize(first) + std::ssize(second);
  ASSERT_TRUE(eventually([&] { return count(url, "SELECT count(*) FROM messages") == all; }))
      << count(url, "SELECT count(*) FROM messages");
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(count(url, "SELECT count(DISTINCT (device, boot, seq)) FROM messages"), all);
  EXPECT_EQ(count(url, "SELECT count(*) FROM lobby_seen"), std::ssize(first));  // live: the lobby kept none
  EXPECT_EQ(count(url, "SELECT count(*) FROM lobby_messages"), 0);
  node.stop();
}

TEST(LobbyTest, TheLobbysHolderKilledBeforeTheClinicGoesLive_NothingItAcknowledgedIsLost) {
  const auto url = shared_postgres().fresh_database("lobbykill");
  Mosquitto broker;
  const cluster::ShardMap map(4, {});
  std::string clinic = "west";
  while (map.shard_of(protocol::ClinicId(clinic)) == 0) clinic += "x";
  const auto shard = map.shard_of(protocol::ClinicId(clinic));
  create_sessions(broker, map);
  store::migrate_postgresql(url);
  // A daemon that holds the clinic's shard and does nothing: the clinic cannot go live.
  cluster::LeaseTable idle({.url = url, .daemon_id = "idle", .ttl = 60s});
  idle.init(4);
  const auto epoch = idle.claim(shard);
  ASSERT_TRUE(epoch);
  TempDir dir("sterifleet-lobby-a");
  Subprocess a({CLUSTER_NODE_PROCESS, url, broker.url(), "a", "4", "2000"}, dir.path() / "out", dir.path() / "err");
  ASSERT_TRUE(eventually([&] {
    return count(url, "SELECT count(*) FROM shard_leases WHERE owner = 'a' AND expires_at > now()") == 3;
  })) << a.stderr_text();

  const auto first = pen_traffic(clinic, "PEN-1");
  publish(broker, first);
  // Acknowledged once kept: all of them are in the lobby, none judged.
  ASSERT_TRUE(eventually([&] { return count(url, "SELECT count(*) FROM lobby_messages") == std::ssize(first); }))
      << a.stderr_text();
  EXPECT_EQ(count(url, "SELECT count(*) FROM messages"), 0);
  a.kill();
  // Nobody runs the lobby: the broker queues these for its session.
  const auto second = pen_traffic(clinic, "PEN-1", 100);
  publish(broker, second);
  idle.release(shard, *epoch);

  ClusterNode b(node_options(url, broker, "b", 4, {}), engine::default_policy(), failing_test(), test_events());
  b.start();
  const auto all = std::ssize(first) + std::ssize(second);
  ASSERT_TRUE(eventually([&] { return count(url, "SELECT count(*) FROM messages") == all; }))
      << count(url, "SELECT count(*) FROM messages") << " of " << all;
  ASSERT_TRUE(eventually([&] { return count(url, "SELECT count(*) FROM clinic_shards WHERE live") == 1; }));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(count(url, "SELECT count(*) FROM messages"), all);
  EXPECT_EQ(count(url, "SELECT count(DISTINCT (device, boot, seq)) FROM messages"), all);
  EXPECT_EQ(count(url, "SELECT count(*) FROM messages WHERE shard <> " + std::to_string(shard)), 0);
  EXPECT_EQ(count(url, "SELECT count(*) FROM lobby_messages"), 0);
  b.stop();
}

}  // namespace
}  // namespace sterifleet::app
