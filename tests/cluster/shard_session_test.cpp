// A cluster's shard session (MqttIngest with AfterCommitOptions) against a real Mosquitto and a Fleet on
// a real SQLite file: it hears only its shard's clinics, and a message is acknowledged only once the
// commit holding it is done, so a session that dies before that leaves the message with the broker for
// the next one (the takeover's new owner), which recognises what was stored already.
//
// The deaths are real: each runs in a forked child (a death test) that ends with std::_Exit at the
// moment chosen, the way a SIGKILL would, while the broker and the store file live on in the parent.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <boost/asio/any_io_executor.hpp>
#include <cstdlib>
#include <optional>
#include <thread>

#include "gated_store.hpp"
#include "running_io.hpp"  // tests/ingest
#include "sterifleet/cluster/shard_map.hpp"
#include "sterifleet/engine/policy.hpp"
#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/ingest/mqtt_ingest.hpp"
#include "sterifleet/protocol/time.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/mqtt_recorder.hpp"
#include "sterifleet/testing/sqlite_file.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::ingest::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;
using sterifleet::testing::Mosquitto;
using sterifleet::testing::sqlite_integer;
using sterifleet::testing::TempDir;

constexpr cluster::Shard north_shard = 3;
const cluster::ShardMap shard_map(32, {{protocol::ClinicId("north"), north_shard},
                                       {protocol::ClinicId("south"), north_shard + 1}});
const std::vector<protocol::ClinicId> clinics{protocol::ClinicId("north"), protocol::ClinicId("south")};

std::string telemetry(const std::string& device, std::uint64_t seq) {
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return json{
      {"v", 1},
      {"device", device},
      {"boot", 1},
      {"seq", seq},
      {"ts", protocol::format_timestamp(now)},
      {"type", "telemetry"},
      {"body", {{"battery_pct", 80}, {"runtime_s", 1000}, {"strokes", 50000}, {"depth_mm", 0.5}, {"speed", 100}}}}
      .dump();
}

/// Published from a process of its own: Paho serves every client of a process from one thread, which a
/// shard session's waiting callback holds.
void publish(const Mosquitto& broker, const std::string& clinic, const std::string& device, std::uint64_t seq) {
  const auto done = sterifleet::testing::run_to_completion(
      {"mosquitto_pub", "-h", broker.host(), "-p", std::to_string(broker.port()), "-q", "1", "-i", "test-publisher",
       "-t", "sterifleet/v1/" + clinic + "/" + device + "/telemetry", "-m", telemetry(device, seq)});
  ASSERT_EQ(done.status, 0) << done.output;
}

/// The shard's persistent session exists at the broker before its daemon connects (as after an owner
/// died): what is published meanwhile waits there.
void create_session(const Mosquitto& broker, cluster::Shard shard) {
  std::vector<std::string> argv{
      "mosquitto_sub",           "-h", broker.host(), "-p", std::to_string(broker.port()), "-q", "1", "-c", "-E", "-i",
      shard_map.client_id(shard)};
  for (const auto& filter : shard_map.topic_filters(shard, clinics)) {
    argv.push_back("-t");
    argv.push_back(filter);
  }
  const auto done = sterifleet::testing::run_to_completion(argv);
  ASSERT_EQ(done.status, 0) << done.output;
}

long long stored(const fs::path& db, const std::string& device) {
  return sqlite_integer(db, "SELECT count(*) FROM messages WHERE device = '" + device + "'");
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

double duplicates(fleet::Metrics& metrics) {
  for (const auto& family : metrics.registry().Collect()) {
    if (family.name == "sterifleet_messages_duplicate_total") return family.metric.at(0).counter.value;
  }
  return -1;
}

/// One daemon's shard session: a Fleet on the store file, the session connected to the broker and
/// publishing the Fleet's commands, as the daemon wires them.
class ShardRun {
 public:
  ShardRun(
      const Mosquitto& broker, const fs::path& db, GatedStore::Gates gates = {},
      MqttIngest::FatalHandler fatal = [](const std::string& why) { ADD_FAILURE() << why; },
      std::optional<ReceiptOptions> receipts = std::nullopt)
      : store_(store::open_sqlite(db.string()), std::move(gates)),
        fleet_(
            engine::default_policy(), store_, commands_, events_, metrics_,
            [] { return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()); }),
        ingest_(make_ingest(broker, std::move(receipts), std::move(fatal))) {
    fleet_.restore();
    ingest_.start();
  }
  ~ShardRun() {
    ingest_.stop();
    running_.stop();
  }
  MqttIngest& ingest() { return ingest_; }
  fleet::Metrics& metrics() { return metrics_; }

 private:
  /// A shard session, or with `receipts` the single daemon's ingest (all clinics, on the same client id).
  MqttIngest make_ingest(const Mosquitto& broker, std::optional<ReceiptOptions> receipts,
                         MqttIngest::FatalHandler fatal) {
    MqttOptions options{.url = broker.url(), .client_id = shard_map.client_id(north_shard)};
    if (receipts) return MqttIngest(options, *receipts, fleet_, metrics_, running_.executor(), std::move(fatal));
    return MqttIngest(options, AfterCommitOptions{shard_map.topic_filters(north_shard, clinics)}, fleet_, metrics_,
                      running_.executor(), std::move(fatal));
  }
  // The Fleet is made before the ingest that sends its commands.
  class Commands final : public fleet::CommandSink {
   public:
    explicit Commands(ShardRun& run) : run_(run) {}
    void publish(const std::string& topic, const std::string& payload) override {
      run_.ingest_.publish(topic, payload);
    }

   private:
    ShardRun& run_;
  };
  RunningIo running_;
  Commands commands_{*this};
  fleet::EventBus events_;
  fleet::Metrics metrics_;
  GatedStore store_;
  fleet::Fleet fleet_;
  MqttIngest ingest_;
};

/// In a death test's child: ends it if the awaited moment never comes, rather than hanging the test.
void exit_after(std::chrono::seconds limit, int status) {
  std::thread([=] {
    std::this_thread::sleep_for(limit);
    std::_Exit(status);
  }).detach();
}

constexpr int killed_after_commit = 7;
constexpr int fatal_called = 3;
constexpr int timed_out = 99;

TEST(ShardSessionDeathTest, KilledAfterTheCommitBeforeItsAcknowledgement_TheNextOwnerGetsItAgainAndStoresItOnce) {
  Mosquitto broker;
  TempDir dir("sterifleet-shard");
  const auto db = dir.path() / "store.db";
  create_session(broker, north_shard);
  publish(broker, "north", "PEN-01", 1);

  EXPECT_EXIT(
      {
        exit_after(15s, timed_out);
        ShardRun dying(broker, db, {.after_commit = [] {
                         // Time for an acknowledgement sent too early to reach the broker.
                         std::this_thread::sleep_for(300ms);
                         std::_Exit(killed_after_commit);
                       }});
        std::this_thread::sleep_for(20s);
      },
      ::testing::ExitedWithCode(killed_after_commit), "");
  ASSERT_EQ(stored(db, "PEN-01"), 1) << "the message was committed before the owner died";

  ShardRun next(broker, db);
  ASSERT_TRUE(eventually([&] { return duplicates(next.metrics()) == 1; }))
      << "the broker redelivers what was never acknowledged, and the new owner knows it by (device, boot, seq)";
  publish(broker, "north", "PEN-01", 2);
  ASSERT_TRUE(eventually([&] { return stored(db, "PEN-01") == 2; }));
  EXPECT_EQ(duplicates(next.metrics()), 1);
}

TEST(ShardSessionDeathTest, KilledWhileTheCommitIsSlow_TheMessageIsNotLostAndStoredByTheNextOwner) {
  Mosquitto broker;
  TempDir dir("sterifleet-shard");
  const auto db = dir.path() / "store.db";
  create_session(broker, north_shard);
  publish(broker, "north", "PEN-01", 1);

  EXPECT_EXIT(
      {
        exit_after(15s, timed_out);
        ShardRun dying(broker, db, {.before_commit = [] {
                         std::this_thread::sleep_for(300ms);  // still committing when it dies
                         std::_Exit(killed_after_commit);
                       }});
        std::this_thread::sleep_for(20s);
      },
      ::testing::ExitedWithCode(killed_after_commit), "");
  ASSERT_EQ(stored(db, "PEN-01"), 0);

  ShardRun next(broker, db);
  ASSERT_TRUE(eventually([&] { return stored(db, "PEN-01") == 1; }));
  EXPECT_EQ(duplicates(next.metrics()), 0);
}

TEST(ShardSessionDeathTest, AFailedCommitIsFatalAndNeverAcknowledged_TheNextSessionStoresTheMessage) {
  Mosquitto broker;
  TempDir dir("sterifleet-shard");
  const auto db = dir.path() / "store.db";
  create_session(broker, north_shard);
  publish(broker, "north", "PEN-01", 1);

  EXPECT_EXIT(
      {
        exit_after(15s, timed_out);
        ShardRun failing(broker, db,
                         {.before_commit =
                              [] {
                                std::this_thread::sleep_for(300ms);
                                throw store::StoreError("the disk is full");
                              }},
                         [](const std::string& why) {
                           std::fprintf(stderr, "fatal: %s\n", why.c_str());
                           std::_Exit(fatal_called);
                         });
        std::this_thread::sleep_for(20s);
      },
      ::testing::ExitedWithCode(fatal_called), "fatal: storing messages failed: the disk is full");
  ASSERT_EQ(stored(db, "PEN-01"), 0);

  ShardRun next(broker, db);
  ASSERT_TRUE(eventually([&] { return stored(db, "PEN-01") == 1; }));
}

TEST(ShardSession, StoresItsClinicsOnly_AndAClinicThatJoinsIsHeardFromThen) {
  Mosquitto broker({.extra_config = {"log_type all"}});
  TempDir dir("sterifleet-shard");
  const auto db = dir.path() / "store.db";
  ShardRun run(broker, db);
  const auto subscribed = [&](const std::string& filter) { return broker.log().find(filter) != std::string::npos; };
  ASSERT_TRUE(eventually([&] { return subscribed("sterifleet/v1/north/+/status"); })) << broker.log();
  EXPECT_FALSE(subscribed("sterifleet/v1/south/")) << "another shard's clinic";

  publish(broker, "south", "PEN-S1", 1);
  publish(broker, "north", "PEN-N1", 1);
  ASSERT_TRUE(eventually([&] { return stored(db, "PEN-N1") == 1; }));
  EXPECT_EQ(stored(db, "PEN-S1"), 0);

  run.ingest().add_filters(shard_map.topic_filters(north_shard + 1, clinics));
  ASSERT_TRUE(eventually([&] { return subscribed("sterifleet/v1/south/+/status"); })) << broker.log();
  publish(broker, "south", "PEN-S1", 2);
  ASSERT_TRUE(eventually([&] { return stored(db, "PEN-S1") == 1; }));
  EXPECT_EQ(duplicates(run.metrics()), 0);
}

TEST(ShardSession, ACommandAMessageDecidedGoesOut_AndTheMessagesAfterItAreStored) {
  Mosquitto broker;
  TempDir dir("sterifleet-shard");
  const auto db = dir.path() / "store.db";
  create_session(broker, north_shard);
  sterifleet::testing::MqttRecorder commands(broker.url(), "sterifleet/v1/north/PEN-01/cmd");
  ShardRun run(broker, db);
  publish(broker, "north", "PEN-01", 1);
  publish(broker, "north", "PEN-01", 5);  // a gap: the Fleet asks the pen to replay 2 to 4
  publish(broker, "north", "PEN-01", 6);
  EXPECT_TRUE(eventually([&] { return stored(db, "PEN-01") == 3; })) << "stored: " << stored(db, "PEN-01");
  EXPECT_TRUE(commands.wait_for([](const auto& got) { return !got.empty(); }, 5s));
}

// The single daemon's ingest in the same wiring: its callback waits while the queue is full (here at one
// message), for the ingest's thread to store, and that thread must never be the one that publishes the
// command, which waits for Paho's lock held around the callback.
TEST(ReceiptIngest, ACommandSentWhileTheQueueIsFull_DoesNotStopTheIngest) {
  Mosquitto broker;
  TempDir dir("sterifleet-shard");
  const auto db = dir.path() / "store.db";
  create_session(broker, north_shard);
  sterifleet::testing::MqttRecorder commands(broker.url(), "sterifleet/v1/north/PEN-01/cmd");
  ShardRun run(
      broker, db, {}, [](const std::string& why) { ADD_FAILURE() << why; },
      ReceiptOptions{.folder = dir.path() / "receipts", .grouping = {.max_queued = 1}});
  publish(broker, "north", "PEN-01", 1);
  publish(broker, "north", "PEN-01", 5);
  publish(broker, "north", "PEN-01", 6);
  EXPECT_TRUE(eventually([&] { return stored(db, "PEN-01") == 3; })) << "stored: " << stored(db, "PEN-01");
  EXPECT_TRUE(commands.wait_for([](const auto& got) { return !got.empty(); }, 5s));
}

}  // namespace
}  // namespace sterifleet::ingest::testing
