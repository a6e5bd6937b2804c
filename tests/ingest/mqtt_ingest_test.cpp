// The ingest put together on a broker client the test drives and a real Fleet on SQLite: what it
// subscribes to on every connection, what it stores, what it publishes.
#include "sterifleet/ingest/mqtt_ingest.hpp"

#include <gtest/gtest.h>

#include "daemon_run.hpp"
#include "fake_broker.hpp"
#include "running_io.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::ingest::testing {
namespace {

using namespace std::chrono_literals;

// An ingest on a FakeBroker the test drives, storing into a real Fleet.
class MqttIngestOnFakeBroker : public ::testing::Test {
 protected:
  MqttIngest make_ingest() {
    auto owned = std::make_unique<FakeBroker>();
    broker_ = owned.get();
    return MqttIngest(std::move(owned), {}, {.folder = dir_.path() / "receipts"}, run_.fleet(), metrics_,
                      running_.executor(), [](const std::string& why) { FAIL() << why; }, {.first = 20ms, .max = 50ms});
  }

  sterifleet::testing::TempDir dir_{"sterifleet-ingest"};
  fleet::testing::DaemonRun run_{dir_.path() / "store.db"};
  fleet::Metrics metrics_;
  RunningIo running_;
  FakeBroker* broker_ = nullptr;
};

TEST_F(MqttIngestOnFakeBroker, SubscribesOnEveryConnection_StoresWhatArrives_PublishesCommands) {
  auto ingest = make_ingest();
  auto& broker = *broker_;
  auto& run = run_;
  auto& running = running_;

  EXPECT_EQ(ingest.start(), 0u);
  ASSERT_TRUE(broker.wait_for([](const FakeBroker& b) { return b.subscriptions().size() == 1; }));
  EXPECT_EQ(broker.subscriptions()[0],
            (std::vector<std::string>{"sterifleet/v1/+/+/birth", "sterifleet/v1/+/+/event",
                                      "sterifleet/v1/+/+/telemetry", "sterifleet/v1/+/+/status"}));
  EXPECT_TRUE(ingest.connected());

  broker.lose_connection();
  EXPECT_FALSE(ingest.connected());
  ASSERT_TRUE(broker.wait_for([](const FakeBroker& b) { return b.subscriptions().size() == 2; }));
  EXPECT_TRUE(ingest.connected());

  for (int i = 0; i < 3; ++i) broker.deliver("sterifleet/v1/north/PEN-1/telemetry", "not json " + std::to_string(i));
  ingest.publish("sterifleet/v1/north/PEN-1/command", R"({"lock":true})");
  ASSERT_TRUE(broker.wait_for([](const FakeBroker& b) { return b.published().size() == 1; }));
  EXPECT_EQ(broker.published()[0].first, "sterifleet/v1/north/PEN-1/command");

  ingest.stop();
  EXPECT_FALSE(ingest.connected());
  EXPECT_EQ(run.store().last_receipt(), 3);
  EXPECT_EQ(run.store().quarantine_counts().at("malformed_json"), 3);
  running.stop();
}

// A device's message published between the connection and the broker's answer to the subscription is
// not delivered to the session: readiness waits for the answer on every connection, and a refusal keeps
// it unready.
TEST_F(MqttIngestOnFakeBroker, IsIngestingOnlyOnceTheBrokerGrantedEverySubscription) {
  auto ingest = make_ingest();
  auto& broker = *broker_;
  broker.hold_subscription_answers();

  ingest.start();
  ASSERT_TRUE(broker.wait_for([](const FakeBroker& b) { return b.subscriptions().size() == 1; }));
  EXPECT_TRUE(ingest.connected());
  EXPECT_FALSE(ingest.ingesting());
  broker.answer_subscriptions(false);
  EXPECT_FALSE(ingest.ingesting());

  broker.lose_connection();
  ASSERT_TRUE(broker.wait_for([](const FakeBroker& b) { return b.subscriptions().size() == 2; }));
  EXPECT_FALSE(ingest.ingesting());
  broker.answer_subscriptions(true);
  EXPECT_TRUE(ingest.ingesting());

  // A broker that lost the session must grant again: the last connection's grant does not count.
  broker.lose_connection();
  ASSERT_TRUE(broker.wait_for([](const FakeBroker& b) { return b.subscriptions().size() == 3; }));
  EXPECT_FALSE(ingest.ingesting());
  broker.answer_subscriptions(true);
  EXPECT_TRUE(ingest.ingesting());

  ingest.stop();
  EXPECT_FALSE(ingest.ingesting());
  running_.stop();
}

}  // namespace
}  // namespace sterifleet::ingest::testing
