// Every daemon's replicas of a cluster's shards on a real PostgreSQL: the writers of two shards (a fenced
// writer store and a Fleet each, as a ShardWorker runs them) store two clinics' traffic; the replicas
// show the same devices, clinics and engine state, follow a person's action as soon as wait_for() returns,
// load from a snapshot and the journal after it, share two connections among 32 shards, and write nothing.
#include "shard_replicas.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "command_relay.hpp"
#include "sterifleet/cluster/lease_table.hpp"
#include "sterifleet/engine/policy.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/time.hpp"
#include "sterifleet/testing/postgres.hpp"

namespace sterifleet::app {
namespace {

using namespace std::chrono_literals;
using sterifleet::testing::shared_postgres;

constexpr int kShards = 32;

protocol::Timestamp now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

/// A pen's day in `clinic`: born, then two sessions on one cartridge without reprocessing between
/// (cartridge.reused, device.used_without_reprocessing).
std::vector<std::pair<std::string, std::string>> pen_traffic(const std::string& clinic, const std::string& pen) {
  const auto at = now_ms() - 10min;
  protocol::Cartridge cartridge{protocol::CartridgeId{"CRT-" + pen},
                                protocol::LotId{"L1"},
                                *protocol::parse_date("2030-06-30"),
                                12,
                                300'000,
                                3600s};
  std::vector<protocol::Body> bodies{protocol::Birth{protocol::DeviceKind::pen, "Dermapen 4", "1.0", std::nullopt}};
  for (const auto* session : {"S1", "S2"}) {
    bodies.emplace_back(protocol::SessionStart{protocol::SessionId{session}, cartridge, protocol::Millimetres{1.0},
                                               protocol::Hertz{100}, protocol::OperatorId{"op"},
                                               protocol::PatientRef{std::string("pt-") + session},
                                               protocol::TreatmentArea::cheek});
    bodies.emplace_back(protocol::SessionEnd{protocol::SessionId{session}, 20'000, 900s});
  }
  std::vector<std::pair<std::string, std::string>> messages;
  std::uint64_t seq = 1;
  for (auto& body : bodies) {
    const protocol::DeviceMessage message{
        protocol::ClinicId{clinic}, {protocol::DeviceId{pen}, 1, seq, at + std::chrono::seconds(seq)}, std::move(body)};
    messages.emplace_back(protocol::topic_of(message), protocol::encode(message));
    ++seq;
  }
  return messages;
}

/// What a ShardWorker runs for a shard it holds: the fenced writer store and a Fleet restored on it.
struct ShardWriter {
  ShardWriter(const std::string& url, int shard, cluster::Epoch epoch)
      : store(store::open_postgresql(url, {.writer = store::ShardWriter{shard, epoch, "owner"}, .readers = 1})),
        fleet(engine::default_policy(), *store, commands, events, metrics, now_ms) {
    fleet.restore();
  }
  void ingest(const std::vector<std::pair<std::string, std::string>>& messages) {
    for (const auto& [topic, payload] : messages) fleet.ingest(topic, payload);
  }
  std::string state() {
    return fleet.read([](const engine::Engine& engine) { return engine.snapshot(); });
  }

  std::unique_ptr<store::Store> store;
  CommandRelay commands;
  fleet::EventBus events;
  fleet::Metrics metrics;
  fleet::Fleet fleet;
};

/// A migrated database whose shards 0 and 1 are leased to "owner" (long enough for any test).
struct Cluster {
  Cluster()
      : url(shared_postgres().fresh_database("replicas")), leases({.url = url, .daemon_id = "owner", .ttl = 10min}) {
    store::migrate_postgresql(url);
    leases.init(kShards);
    north = std::make_unique<ShardWriter>(url, 0, *leases.claim(0));
    south = std::make_unique<ShardWriter>(url, 1, *leases.claim(1));
  }
  std::string sql(const std::string& text) { return shared_postgres().query(url.substr(url.rfind('/') + 1), text); }
  /// Every row the shards' writers keep, table by table.
  std::string rows() {
    std::string counts;
    for (const auto* table :
         {"commits", "shard_state", "messages", "quarantine", "actions", "alerts", "sessions", "cycles", "commands",
          "audit", "audit_heads", "snapshots", "notifications", "shard_leases"}) {
      counts += std::string(table) + " " + sql(std::string("SELECT count(*) FROM ") + table) + "\n";
    }
    return counts;
  }

  std::string url;
  cluster::LeaseTable leases;
  std::unique_ptr<ShardWriter> north;  ///< shard 0
  std::unique_ptr<ShardWriter> south;  ///< shard 1
};

std::string view_text(const fleet::FleetView& view) {
  std::string text;
  for (const auto& [key, device] : view.devices) text += device->json + "\n";
  for (const auto& [clinic, c] : view.clinics) {
    text += clinic + ": " + std::to_string(c.devices) + " " + std::to_string(c.pens) + " " +
            std::to_string(c.sterilizers) + " " + std::to_string(c.open_alerts) + " " +
            std::to_string(c.critical_alerts) + "\n";
  }
  return text;
}

/// The writers' views as one: each clinic is one shard's.
std::string writers_view(Cluster& cluster) {
  fleet::FleetView all = *cluster.north->fleet.view();
  const auto south = cluster.south->fleet.view();
  all.devices.insert(south->devices.begin(), south->devices.end());
  all.clinics.insert(south->clinics.begin(), south->clinics.end());
  return view_text(all);
}

/// Each replica's engine state, by shard.
std::vector<std::string> replica_states(const ShardReplicas& replicas) {
  std::vector<std::string> states;
  replicas.visit_engines([&](const engine::Engine& engine) {
    states.push_back(engine.snapshot());
    return false;
  });
  return states;
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 15s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

ShardReplicasOptions replica_options(const std::string& url, std::chrono::milliseconds poll) {
  // Named, so that the replicas' sessions can be counted.
  return {.store_url = url + "?application_name=replicas", .shards = kShards, .poll = poll};
}

std::string first_alert_of(ShardWriter& writer) {
  return writer.fleet.read([](const engine::Engine& engine) {
    std::string first;
    engine.for_each_alert([&](const engine::Alert& a) {
      if (a.active() && (first.empty() || a.id < first)) first = a.id;
    });
    return first;
  });
}

TEST(ShardReplicasTest, ShowWhatTheShardsStored_FollowAnActionAtOnce_WriteNothing) {
  Cluster cluster;
  cluster.north->ingest(pen_traffic("north", "PEN-N1"));
  cluster.south->ingest(pen_traffic("south", "PEN-S1"));
  const auto rows = cluster.rows();

  // Polled once (the first load), then only caught up by wait_for().
  ShardReplicas replicas(replica_options(cluster.url, 1h), engine::default_policy());
  EXPECT_FALSE(replicas.loaded());
  replicas.start();
  ASSERT_TRUE(eventually([&] { return replicas.loaded(); }));
  EXPECT_EQ(view_text(*replicas.view()), writers_view(cluster));
  EXPECT_EQ(replicas.view()->devices.size(), 2u);
  auto states = replica_states(replicas);
  ASSERT_EQ(states.size(), std::size_t{kShards});
  EXPECT_TRUE(states[0] == cluster.north->state()) << "shard 0's engine differs from its writer's";
  EXPECT_TRUE(states[1] == cluster.south->state()) << "shard 1's engine differs from its writer's";
  EXPECT_EQ(replicas.shard_of_device("PEN-N1"), 0);
  EXPECT_EQ(replicas.shard_of_device("PEN-S1"), 1);
  EXPECT_EQ(replicas.shard_of_device("PEN-X"), std::nullopt);
  const auto sessions =
      std::stoi(cluster.sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'replicas'"));
  EXPECT_GE(sessions, 1);
  EXPECT_LE(sessions, 2) << "32 replicas read through two connections";
  EXPECT_EQ(cluster.rows(), rows) << "the replicas wrote something";

  const auto alert = first_alert_of(*cluster.south);
  ASSERT_FALSE(alert.empty());
  ASSERT_TRUE(cluster.south->fleet.acknowledge(alert, "token:mia", "seen").ok());
  const auto commit = cluster.south->fleet.journal_position();
  EXPECT_LT(replicas.applied(1), commit);
  EXPECT_TRUE(replicas.wait_for(1, commit, 5s));
  EXPECT_GE(replicas.applied(1), commit);
  std::optional<engine::AlertState> state;
  replicas.visit_engines([&](const engine::Engine& engine) {
    if (const auto* a = engine.alert(alert)) state = a->state();
    return state.has_value();
  });
  EXPECT_EQ(state, engine::AlertState::acknowledged);
  EXPECT_TRUE(replica_states(replicas)[1] == cluster.south->state());
  EXPECT_EQ(view_text(*replicas.view()), writers_view(cluster));

  const auto asked = std::chrono::steady_clock::now();
  EXPECT_FALSE(replicas.wait_for(1, commit + 1, 200ms)) << "a commit nobody made";
  EXPECT_GE(std::chrono::steady_clock::now() - asked, 200ms);
  EXPECT_THROW(replicas.wait_for(kShards, 1, 1s), std::out_of_range);
  const auto after_action = cluster.rows();
  replicas.stop();
  EXPECT_EQ(cluster.rows(), after_action);
}

TEST(ShardReplicasTest, LoadFromTheSnapshotAndTheJournalAfterIt_ThenFollowByPolling) {
  Cluster cluster;
  cluster.north->ingest(pen_traffic("north", "PEN-N1"));
  const auto snapshot = cluster.north->fleet.snapshot();
  cluster.north->ingest(pen_traffic("north", "PEN-N2"));
  // Only the snapshot holds the journal up to it now: a replica that replayed the journal from the start
  // would not know PEN-N1.
  for (const auto* table : {"messages", "quarantine", "actions"}) {
    cluster.sql(std::string("DELETE FROM ") + table +
                " WHERE shard = 0 AND commit_seq <= " + std::to_string(snapshot.commit));
  }

  ShardReplicas replicas(replica_options(cluster.url, 50ms), engine::default_policy());
  replicas.start();
  ASSERT_TRUE(eventually([&] { return replicas.loaded(); }));
  EXPECT_TRUE(replica_states(replicas)[0] == cluster.north->state());
  EXPECT_EQ(view_text(*replicas.view()), writers_view(cluster));
  EXPECT_EQ(replicas.view()->devices.size(), 2u);

  cluster.south->ingest(pen_traffic("south", "PEN-S1"));
  EXPECT_TRUE(eventually([&] { return replica_states(replicas)[1] == cluster.south->state(); }))
      << "the poll did not catch shard 1 up";
  EXPECT_TRUE(eventually([&] { return view_text(*replicas.view()) == writers_view(cluster); }));
}

}  // namespace
}  // namespace sterifleet::app
