// People's actions from any daemon's API reach the shard's owner through PostgreSQL, in order, exactly
// once: on a real PostgreSQL, with writer Fleets on shard-writer stores as the owners (and one real
// ShardWorker, woken by the queue's notification), and a CommandClient as another daemon's API.
#include "sterifleet/cluster/api_commands.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "shard_worker.hpp"
#include "sterifleet/cluster/lease_table.hpp"
#include "sterifleet/engine/policy.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/postgres.hpp"

namespace sterifleet::cluster {
namespace {

using namespace std::chrono_literals;

protocol::Timestamp now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

/// A pen of `clinic` used twice with one cartridge: cartridge.reused and device.used_without_reprocessing.
std::vector<std::pair<std::string, std::string>> reused_cartridge(const std::string& clinic, const std::string& pen) {
  const auto at = now_ms() - 10min;
  const protocol::Cartridge cartridge{protocol::CartridgeId{"CRT-" + pen},
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

long long count(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  return pqxx::read_transaction(connection).exec1(sql)[0].as<long long>();
}

std::string text(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  return pqxx::read_transaction(connection).exec1(sql)[0].as<std::string>();
}

class NullCommands : public fleet::CommandSink {
 public:
  void publish(const std::string&, const std::string&) override {}
};

std::string cluster(int shards) {
  const auto url = testing::shared_postgres().fresh_database("commands");
  store::migrate_postgresql(url);
  LeaseTable(LeaseTableOptions{.url = url, .daemon_id = "setup"}).init(shards);
  return url;
}

/// A daemon owning one shard: its lease, its writer store and Fleet, and its command inbox, served on
/// a thread of its own while serving.
class Owner {
 public:
  Owner(const std::string& url, const std::string& daemon, int shard)
      : leases_(claimer(url, daemon)),
        lease_{shard, leases_->claim(shard).value()},
        store_(store::open_postgresql(url, {.writer = store::ShardWriter{shard, lease_.epoch, daemon}, .readers = 1})),
        fleet_(engine::default_policy(), *store_, commands_, events_, metrics_, now_ms),
        inbox_(url, lease_, daemon) {
    fleet_.restore();
  }
  ~Owner() { stop(); }

  void serve() {
    serving_ = std::thread([this] {
      while (!stop_) {
        inbox_.run_pending(fleet_);
        std::this_thread::sleep_for(10ms);
      }
    });
  }
  void stop() {
    stop_ = true;
    if (serving_.joinable()) serving_.join();
  }

  fleet::Fleet& fleet() { return fleet_; }
  CommandInbox& inbox() { return inbox_; }
  const HeldLease& lease() const { return lease_; }
  /// Ends the daemon's lease session, as its death would (the next claim takes the fast path).
  void die() { leases_.reset(); }

 private:
  static std::unique_ptr<LeaseTable> claimer(const std::string& url, const std::string& daemon) {
    auto leases = std::make_unique<LeaseTable>(LeaseTableOptions{.url = url, .daemon_id = daemon});
    leases->init(static_cast<int>(count(url, "SELECT shards FROM cluster")));
    return leases;
  }

  std::unique_ptr<LeaseTable> leases_;
  HeldLease lease_;
  std::unique_ptr<store::Store> store_;
  NullCommands commands_;
  fleet::EventBus events_;
  fleet::Metrics metrics_;
  fleet::Fleet fleet_;
  CommandInbox inbox_;
  std::atomic<bool> stop_{false};
  std::thread serving_;
};

std::string open_alert(fleet::Fleet& fleet, const std::string& rule) {
  store::AlertQuery query;
  query.rule = rule;
  const auto rows = fleet.store().alerts(query).rows;
  if (rows.empty()) throw std::runtime_error("no " + rule + " alert");
  return rows.front().at("id").get<std::string>();
}

CommandClient front(const CommandQueue& queue) {
  return CommandClient(
      queue, [](const std::string&) { return std::optional<int>(); }, now_ms, 300s);
}

TEST(ApiCommandsTest, Acknowledge_FromAnotherDaemon_IsStoredOnceByTheAlertsShard_WithItsAuditRecord) {
  const auto url = cluster(4);
  Owner owner(url, "owner", 2);
  for (const auto& [topic, payload] : reused_cartridge("north", "PEN-1")) owner.fleet().ingest(topic, payload);
  const auto alert = open_alert(owner.fleet(), "cartridge.reused");
  owner.serve();

  const CommandQueue queue({.url = url});
  const auto answer = front(queue).acknowledge(alert, "token:anna", "seen");
  ASSERT_TRUE(answer.outcome.ok()) << answer.outcome.refusal->message;
  EXPECT_EQ(answer.shard, 2);
  ASSERT_TRUE(answer.commit);
  EXPECT_EQ(text(url, "SELECT state FROM alerts WHERE id = '" + alert + "'"), "acknowledged");
  EXPECT_EQ(count(url, "SELECT count(*) FROM actions WHERE kind = 'acknowledge'"), 1);
  EXPECT_EQ(count(url, "SELECT count(*) FROM actions WHERE kind = 'acknowledge' AND shard = 2 AND commit_seq = " +
                           std::to_string(*answer.commit)),
            1);
  EXPECT_EQ(count(url, "SELECT count(*) FROM audit WHERE actor = 'token:anna' AND action = 'acknowledged'"), 1);
  EXPECT_EQ(text(url, "SELECT state || ' ' || commit_seq FROM api_commands"), "done " + std::to_string(*answer.commit));
}

TEST(ApiCommandsTest, Refusal_ComesBackWithTheEnginesReason_AndCommitsNothing) {
  const auto url = cluster(4);
  Owner owner(url, "owner", 1);
  for (const auto& [topic, payload] : reused_cartridge("north", "PEN-1")) owner.fleet().ingest(topic, payload);
  const auto alert = open_alert(owner.fleet(), "cartridge.reused");
  ASSERT_TRUE(owner.fleet().acknowledge(alert, "token:bob", "first").ok());
  const auto engines = owner.fleet().acknowledge(alert, "token:bob", "again");  // what the single daemon answers
  ASSERT_FALSE(engines.ok());
  const auto commits = count(url, "SELECT count(*) FROM commits");
  owner.serve();

  const CommandQueue queue({.url = url});
  const auto answer = front(queue).acknowledge(alert, "token:anna", "second");
  ASSERT_FALSE(answer.outcome.ok());
  EXPECT_EQ(answer.outcome.refusal->code, engines.refusal->code);
  EXPECT_EQ(answer.outcome.refusal->message, engines.refusal->message);
  EXPECT_FALSE(answer.commit);
  EXPECT_EQ(count(url, "SELECT count(*) FROM commits"), commits);
  EXPECT_EQ(text(url, "SELECT state FROM api_commands"), "refused");

  // An alert no shard has: the engine's own refusal, and nothing queued.
  const auto unknown = front(queue).acknowledge("no-such-alert", "token:anna", "");
  ASSERT_FALSE(unknown.outcome.ok());
  EXPECT_EQ(unknown.outcome.refusal->code, engine::RefusalCode::not_found);
  EXPECT_EQ(unknown.outcome.refusal->message, "no alert no-such-alert");
  EXPECT_EQ(count(url, "SELECT count(*) FROM api_commands"), 1);
}

TEST(ApiCommandsTest, CommandForAShardNobodyHolds_IsCancelledAfterTheWait_AndNeverAppliedLater) {
  const auto url = cluster(4);
  const CommandQueue queue({.url = url, .wait = 300ms});
  const auto started = std::chrono::steady_clock::now();
  try {
    front(queue).revoke_token("t-1", "token:admin", "test");
    FAIL() << "answered without an owner";
  } catch (const fleet::ActionUnanswered& e) {
    EXPECT_NE(std::string(e.what()).find("not applied and never will be"), std::string::npos) << e.what();
    EXPECT_EQ(e.retry_after(), 1s);
  }
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
  EXPECT_EQ(text(url, "SELECT state FROM api_commands"), "cancelled");

  Owner late(url, "late", 0);
  EXPECT_EQ(late.inbox().run_pending(late.fleet()), 0U);
  EXPECT_EQ(text(url, "SELECT state FROM api_commands"), "cancelled");
  EXPECT_EQ(count(url, "SELECT count(*) FROM actions WHERE kind = 'token_revoked'"), 0);
}

TEST(ApiCommandsTest, CommandADeadOwnerTookAndDidNotCommit_IsExecutedByTheNextOwnerOnce) {
  const auto url = cluster(2);
  std::string alert;
  {
    Owner dead(url, "dead", 1);
    for (const auto& [topic, payload] : reused_cartridge("north", "PEN-1")) dead.fleet().ingest(topic, payload);
    alert = open_alert(dead.fleet(), "cartridge.reused");
    // Taken (running under its epoch) when it died, before its commit.
    pqxx::connection connection(url);
    pqxx::work tx(connection);
    tx.exec_params0(
        "INSERT INTO api_commands (shard, kind, body, actor, state, epoch) VALUES (1, 'acknowledge', $1, "
        "'token:anna', 'running', $2)",
        nlohmann::json{{"alert", alert}, {"comment", "seen"}}.dump(), dead.lease().epoch);
    tx.commit();
    dead.die();
  }
  Owner next(url, "next", 1);
  EXPECT_EQ(next.inbox().run_pending(next.fleet()), 1U);
  EXPECT_EQ(next.inbox().run_pending(next.fleet()), 0U);
  EXPECT_EQ(text(url, "SELECT state FROM alerts WHERE id = '" + alert + "'"), "acknowledged");
  EXPECT_EQ(count(url, "SELECT count(*) FROM actions WHERE kind = 'acknowledge'"), 1);
  EXPECT_EQ(text(url, "SELECT state || ' ' || epoch FROM api_commands"), "done " + std::to_string(next.lease().epoch));
}

TEST(ApiCommandsTest, ZombieOwner_CannotCompleteACommandTheNextOwnerTook) {
  const auto url = cluster(1);
  auto zombie = std::make_unique<Owner>(url, "zombie", 0);
  const auto zombie_epoch = zombie->lease().epoch;
  zombie->die();
  Owner next(url, "next", 0);
  pqxx::connection connection(url);
  {
    pqxx::work tx(connection);
    tx.exec_params0("INSERT INTO api_commands (shard, kind, body, actor) VALUES (0, 'record_audit', $1, 'token:anna')",
                    nlohmann::json{{"at", "2026-01-01T00:00:00.000Z"},
                                   {"entity", "report"},
                                   {"action", "exported"},
                                   {"before", nullptr},
                                   {"after", nullptr},
                                   {"cause", "test"},
                                   {"clinic", ""}}
                        .dump());
    tx.commit();
  }
  EXPECT_THROW(zombie->inbox().run_pending(zombie->fleet()), store::FencedOut);
  EXPECT_EQ(next.inbox().run_pending(next.fleet()), 1U);
  EXPECT_EQ(count(url, "SELECT count(*) FROM audit WHERE action = 'exported'"), 1);
  EXPECT_NE(next.lease().epoch, zombie_epoch);
}

TEST(ApiCommandsTest, Tokens_GoToShardZero) {
  const auto url = cluster(4);
  Owner fleets(url, "owner", 0);
  fleets.serve();
  const CommandQueue queue({.url = url});
  store::NewToken token;
  token.record = {"t-anna", "anna", "manager", now_ms(), false, {}};
  token.sha256_hex = std::string(64, 'a');
  const auto made = front(queue).create_token(token, "token:admin", "POST /api/v1/tokens");
  ASSERT_TRUE(made.outcome.ok()) << made.outcome.refusal->message;
  EXPECT_EQ(made.shard, 0);
  EXPECT_EQ(text(url, "SELECT name || ' ' || role FROM tokens WHERE id = 't-anna'"), "anna manager");
  const auto revoked = front(queue).revoke_token("t-anna", "token:admin", "DELETE /api/v1/tokens/t-anna");
  ASSERT_TRUE(revoked.outcome.ok()) << revoked.outcome.refusal->message;
  EXPECT_EQ(count(url, "SELECT count(*) FROM tokens WHERE revoked"), 1);
  EXPECT_EQ(count(url, "SELECT count(*) FROM api_commands WHERE shard = 0 AND state = 'done'"), 2);
}

// The owner as sterifleetd runs it: a ShardWorker executes the command as soon as PostgreSQL notifies it
// (its poll is a minute: only the notification can wake it in time).
TEST(ApiCommandsTest, ShardWorker_IsWokenByTheQueuesNotification) {
  const auto url = cluster(2);
  testing::Mosquitto broker;
  LeaseTable leases(LeaseTableOptions{.url = url, .daemon_id = "worker"});
  leases.init(2);
  const HeldLease lease{1, leases.claim(1).value()};
  fleet::EventBus events;
  app::ShardWorker worker({.lease = lease,
                           .owner = "worker",
                           .store_url = url,
                           .mqtt = {.url = broker.url(), .client_id = "sterifleetd-shard-1"},
                           .filters = {"sterifleet/v1/north/+/event"},
                           .command_poll = 60s},
                          engine::default_policy(),
                          {.fenced = [](HeldLease, const std::string& why) { ADD_FAILURE() << why; },
                           .fatal = [](const std::string& why) { ADD_FAILURE() << why; }},
                          events);
  for (const auto& [topic, payload] : reused_cartridge("north", "PEN-1")) worker.fleet().ingest(topic, payload);
  const auto alert = open_alert(worker.fleet(), "cartridge.reused");
  worker.start();
  std::this_thread::sleep_for(200ms);  // the worker's first look at its queue is behind it

  const CommandQueue queue({.url = url, .wait = 5s});
  const auto started = std::chrono::steady_clock::now();
  const auto answer = front(queue).resolve(alert, "token:anna", "cartridge discarded");
  ASSERT_TRUE(answer.outcome.ok()) << answer.outcome.refusal->message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_EQ(text(url, "SELECT state FROM alerts WHERE id = '" + alert + "'"), "resolved");
  worker.stop_now();
}

}  // namespace
}  // namespace sterifleet::cluster
