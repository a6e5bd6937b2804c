// Each shard's notifications delivered by the shard's owner, once, on a real PostgreSQL, a real Mosquitto
// and a real webhook listener: two shards' workers side by side each deliver only their own alerts; after
// a clean hand-over, a pending repeat is delivered by the new owner and not by the old one. The API's
// receiver actions in a cluster work on a read-only front store.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "cluster_node.hpp"
#include "http_receiver.hpp"
#include "notify_actions.hpp"
#include "shard_worker.hpp"
#include "sterifleet/cluster/lease_table.hpp"
#include "sterifleet/cluster/shard_map.hpp"
#include "sterifleet/engine/policy.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/postgres.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::app {
namespace {

using namespace std::chrono_literals;
using sterifleet::testing::HttpReceiver;
using sterifleet::testing::Mosquitto;
using sterifleet::testing::run_to_completion;
using sterifleet::testing::shared_postgres;

constexpr int shards = 4;
constexpr auto repeat_every = 6s;

protocol::Timestamp now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

/// A pen used twice with one cartridge: cartridge.reused and device.used_without_reprocessing.
std::vector<std::pair<std::string, std::string>> reuse(const std::string& clinic, const std::string& pen) {
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

void publish(const Mosquitto& broker, const std::vector<std::pair<std::string, std::string>>& messages) {
  for (const auto& [topic, payload] : messages) {
    const auto done = run_to_completion({"mosquitto_pub", "-h", broker.host(), "-p", std::to_string(broker.port()),
                                         "-q", "1", "-i", "test-publisher", "-t", topic, "-m", payload});
    ASSERT_EQ(done.status, 0) << done.output;
  }
}

long long count(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::read_transaction tx(connection);
  return tx.exec1(sql)[0].as<long long>();
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 20s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

notify::NotifyConfig webhook_config(const HttpReceiver& listener) {
  notify::NotifyConfig config;
  config.receivers.push_back({"desk", notify::WebhookReceiver{listener.url("/hook"), "desk secret", 5s}});
  notify::Route route;
  route.name = "all";
  route.receiver = "desk";
  route.repeat_interval = repeat_every;
  route.send_resolved = false;
  config.routes.push_back(route);
  return config;
}

/// Notice id -> how many times the listener got it, and its kind.
struct Received {
  std::map<std::string, int> times;
  std::map<std::string, std::string> kinds;
  int of_kind(const std::string& kind) const {
    int n = 0;
    for (const auto& [id, k] : kinds) n += k == kind ? 1 : 0;
    return n;
  }
};

Received received(const HttpReceiver& listener) {
  Received out;
  for (const auto& request : listener.requests()) {
    const auto body = nlohmann::json::parse(request.body);
    for (const auto& notice : body.at("notices")) {
      const auto id = notice.at("id").get<std::string>();
      ++out.times[id];
      out.kinds[id] = notice.at("kind").get<std::string>();
    }
  }
  return out;
}

class ShardNotify : public ::testing::Test {
 protected:
  ShardNotify() : url_(shared_postgres().fresh_database("notify")) {
    store::migrate_postgresql(url_);
    for (cluster::Shard shard = 0; shard < map_.shards(); ++shard) {
      std::vector<protocol::ClinicId> none;
      std::vector<std::string> argv{
          "mosquitto_sub",      "-h", broker_.host(), "-p", std::to_string(broker_.port()), "-q", "1", "-c", "-E", "-i",
          map_.client_id(shard)};
      for (const auto& filter : map_.topic_filters(shard, none)) {
        argv.push_back("-t");
        argv.push_back(filter);
      }
      if (argv.size() > 11) run_to_completion(argv);  // the shard's session queues before anyone owns it
    }
  }

  std::unique_ptr<ShardWorker> worker(const std::string& owner, cluster::Shard shard, cluster::Epoch epoch,
                                      const std::string& clinic) {
    const std::vector<protocol::ClinicId> clinics{protocol::ClinicId(clinic)};
    ShardWorkerOptions options{.lease = {shard, epoch},
                               .owner = owner,
                               .store_url = url_,
                               .mqtt = {.url = broker_.url(), .client_id = map_.client_id(shard)},
                               .filters = map_.topic_filters(shard, clinics),
                               .tick = 60s,
                               .notify = webhook_config(listener_)};
    options.dispatch.poll = 100ms;
    options.dispatch.shared_workers = &senders_;
    auto started = std::make_unique<ShardWorker>(
        std::move(options), engine::default_policy(),
        ShardWorkerHandlers{.fenced = [](cluster::HeldLease, const std::string& why) { ADD_FAILURE() << why; },
                            .fatal =
                                [](const std::string& why) {
                                  spdlog::critical("{}", why);
                                  std::abort();
                                }},
        events_);
    started->start();
    return started;
  }

  std::string url_;
  Mosquitto broker_;
  cluster::ShardMap map_{shards, {{protocol::ClinicId("north"), 1}, {protocol::ClinicId("south"), 2}}};
  HttpReceiver listener_;
  fleet::EventBus events_;
  boost::asio::thread_pool senders_{2};  // shared by the workers, as a ClusterNode shares its own
};

TEST_F(ShardNotify, TwoShardsOwners_EachDeliversItsOwnShardsAlerts_EveryNoticeOnce) {
  cluster::LeaseTable a({.url = url_, .daemon_id = "a", .ttl = 60s});
  cluster::LeaseTable b({.url = url_, .daemon_id = "b", .ttl = 60s});
  a.init(shards);
  b.init(shards);
  const auto north_epoch = a.claim(1);
  const auto south_epoch = b.claim(2);
  ASSERT_TRUE(north_epoch && south_epoch);
  auto north = worker("a", 1, *north_epoch, "north");
  auto south = worker("b", 2, *south_epoch, "south");
  auto traffic = reuse("north", "PEN-N1");
  for (auto& m : reuse("south", "PEN-S1")) traffic.push_back(std::move(m));
  publish(broker_, traffic);

  const auto firing = [&] { return count(url_, "SELECT count(*) FROM notifications WHERE kind = 'firing'"); };
  ASSERT_TRUE(eventually([&] {
    return firing() >= 4 && count(url_,
                                  "SELECT count(*) FROM notifications WHERE kind = 'firing' AND state = "
                                  "'pending'") == 0;
  })) << firing();
  std::this_thread::sleep_for(300ms);  // a second sender of a row would have sent by now
  north->stop_cleanly();
  south->stop_cleanly();

  const auto got = received(listener_);
  EXPECT_EQ(got.of_kind("firing"), firing());
  for (const auto& [id, times] : got.times) EXPECT_EQ(times, 1) << id;
  // Each row went from its own shard, which holds its clinic's alerts.
  EXPECT_EQ(count(url_, "SELECT count(*) FROM notifications WHERE clinic = 'north' AND shard <> 1"), 0);
  EXPECT_EQ(count(url_, "SELECT count(*) FROM notifications WHERE clinic = 'south' AND shard <> 2"), 0);
  EXPECT_GT(count(url_, "SELECT count(*) FROM notifications WHERE clinic = 'south'"), 0);
  EXPECT_EQ(count(url_,
                  "SELECT count(*) FROM notification_attempts a JOIN notifications n ON n.id = a.notification "
                  "WHERE n.kind = 'firing'"),
            firing());
}

TEST_F(ShardNotify, HandedOver_APendingRepeatIsDeliveredByTheNewOwner_NotTwice) {
  cluster::LeaseTable a({.url = url_, .daemon_id = "a", .ttl = 60s});
  a.init(shards);
  const auto first = a.claim(1);
  ASSERT_TRUE(first);
  auto old_owner = worker("a", 1, *first, "north");
  publish(broker_, reuse("north", "PEN-N1"));
  ASSERT_TRUE(eventually([&] {
    return count(url_, "SELECT count(*) FROM notifications WHERE kind = 'firing'") > 0 &&
           count(url_, "SELECT count(*) FROM notifications WHERE kind = 'firing' AND state = 'pending'") == 0;
  }));
  const auto repeat_due = count(url_, "SELECT min(due_at) FROM notifications WHERE kind = 'repeat'");
  old_owner->stop_cleanly();
  a.release(1, *first);

  // Past the repeat's time nobody owns the shard: nothing is sent.
  const auto wait = std::chrono::milliseconds(repeat_due) - now_ms().time_since_epoch() + 1s;
  std::this_thread::sleep_for(std::max<std::chrono::milliseconds>(wait, 0ms));
  EXPECT_EQ(received(listener_).of_kind("repeat"), 0) << "the old owner delivered after handing the shard over";

  cluster::LeaseTable b({.url = url_, .daemon_id = "b", .ttl = 60s});
  b.init(shards);
  const auto second = b.claim(1);
  ASSERT_TRUE(second);
  auto new_owner = worker("b", 1, *second, "north");
  const auto repeats = count(url_, "SELECT count(*) FROM notifications WHERE kind = 'repeat'");
  ASSERT_GT(repeats, 0);
  ASSERT_TRUE(eventually([&] { return received(listener_).of_kind("repeat") == repeats; }))
      << received(listener_).of_kind("repeat") << " of " << repeats;
  std::this_thread::sleep_for(300ms);
  new_owner->stop_cleanly();
  const auto got = received(listener_);
  EXPECT_EQ(got.of_kind("repeat"), repeats);
  for (const auto& [id, times] : got.times) EXPECT_EQ(times, 1) << id;
}

TEST_F(ShardNotify, ClusterActions_TestAReceiverAndEnableItFromAReadOnlyFrontStore) {
  {
    cluster::LeaseTable a({.url = url_, .daemon_id = "a", .ttl = 60s});
    a.init(shards);
    const auto epoch = a.claim(1);
    ASSERT_TRUE(epoch);
    store::open_postgresql(url_, {.writer = store::ShardWriter{1, *epoch, "a"}})
        ->disable_receiver("desk", now_ms(), "HTTP 410");
  }
  const auto front = store::open_postgresql(url_);
  const auto config = webhook_config(listener_);
  const auto actions = cluster_notify_actions(config, *front, now_ms);
  ASSERT_TRUE(actions.test);
  const auto tested = actions.test("desk", "token:admin");
  EXPECT_TRUE(tested.delivered) << tested.answer;
  EXPECT_EQ(received(listener_).of_kind("test"), 1);
  EXPECT_THROW(actions.test("nobody", "token:admin"), std::invalid_argument);
  EXPECT_TRUE(actions.enable_receiver("desk"));
  EXPECT_TRUE(front->disabled_receivers().empty());
  EXPECT_FALSE(actions.enable_receiver("desk"));
}

TEST_F(ShardNotify, AnUnusableReceiver_IsRefusedWhenTheNodeIsMade_NamingIt) {
  auto config = webhook_config(listener_);
  std::get<notify::WebhookReceiver>(config.receivers[0].settings).secret.clear();
  ClusterNodeOptions options{.daemon_id = "a", .store_url = url_, .map = map_, .mqtt = {.url = broker_.url()}};
  options.notify = config;
  fleet::EventBus events;
  try {
    ClusterNode node(
        std::move(options), engine::default_policy(), [](const std::string&) { std::abort(); }, events);
    FAIL() << "a webhook without a secret was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("[notify] receiver \"desk\""), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sterifleet::app
