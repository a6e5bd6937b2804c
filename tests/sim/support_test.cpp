// The reusable broker helper of tests/support, which other suites rely on for the daemon.
#include <gtest/gtest.h>

#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/mqtt_recorder.hpp"

namespace sterifleet::testing {
namespace {

using namespace std::chrono_literals;

TEST(MosquittoSupport, Restart_KeepsThePortAndThePersistedRetainedMessages) {
  Mosquitto broker;
  EXPECT_GT(broker.port(), 0);
  EXPECT_EQ(broker.url(), "tcp://127.0.0.1:" + std::to_string(broker.port()));
  {
    MqttRecorder publisher(broker.url(), "unused/#");
    publisher.publish("test/retained", "kept", true);
  }
  const auto port = broker.port();
  broker.restart();  // SIGTERM: Mosquitto saves its persistence file on the way out
  EXPECT_EQ(broker.port(), port);
  MqttRecorder subscriber(broker.url(), "test/#");
  ASSERT_TRUE(subscriber.wait_for([](const auto& all) { return !all.empty(); }, 5s)) << broker.log();
  EXPECT_EQ(subscriber.messages().front().payload, "kept");
  EXPECT_TRUE(subscriber.messages().front().retained);
}

TEST(MosquittoSupport, Kill_StopsAcceptingAndStartComesBack) {
  Mosquitto broker;
  broker.kill();
  EXPECT_FALSE(broker.running());
  EXPECT_FALSE(wait_for_port(broker.host(), broker.port(), 200ms));
  broker.start();
  EXPECT_TRUE(wait_for_port(broker.host(), broker.port(), 2s));
}

TEST(MosquittoSupport, Destruction_KillsTheBrokerAndRemovesItsDirectory) {
  std::filesystem::path directory;
  int port = 0;
  {
    Mosquitto broker;
    directory = broker.directory();
    port = broker.port();
    EXPECT_TRUE(std::filesystem::exists(directory / "mosquitto.conf"));
  }
  EXPECT_FALSE(std::filesystem::exists(directory));
  EXPECT_FALSE(wait_for_port("127.0.0.1", port, 200ms));
}

}  // namespace
}  // namespace sterifleet::testing
