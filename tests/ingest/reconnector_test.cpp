// Connecting and reconnecting on a timer, and the command outbox, without a broker.
#include "sterifleet/ingest/reconnector.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "fake_broker.hpp"
#include "running_io.hpp"
#include "sterifleet/ingest/command_outbox.hpp"

namespace sterifleet::ingest::testing {
namespace {

using namespace std::chrono_literals;

class ReconnectorTest : public ::testing::Test {
 protected:
  ~ReconnectorTest() override {
    reconnector_.stop();
    running_.stop();
  }
  static bool attempts_at_least(const FakeBroker& b, std::size_t n) { return b.attempts().size() >= n; }
  // The broker counts an attempt before the reconnector's callback runs on the io thread.
  int connections_once(int n) {
    std::unique_lock lock(mutex_);
    connected_.wait_for(lock, 5s, [&] { return connections_ >= n; });
    return connections_;
  }
  void count_connection() {
    std::lock_guard lock(mutex_);
    ++connections_;
    connected_.notify_all();
  }

  FakeBroker broker_;
  RunningIo running_;
  std::mutex mutex_;
  std::condition_variable connected_;
  int connections_ = 0;
  Reconnector reconnector_{
      broker_, running_.executor(), {.first = 40ms, .max = 100ms}, "tcp://broker:1883", [this] { count_connection(); }};
};

TEST_F(ReconnectorTest, FailedAttempts_AreRetriedAfterDoublingDelaysUpToTheCap) {
  broker_.fail_connects(4);
  reconnector_.start();
  ASSERT_TRUE(broker_.wait_for([](const FakeBroker& b) { return b.connected(); }));
  const auto& at = broker_.attempts();
  ASSERT_EQ(at.size(), 5u);
  const std::chrono::milliseconds expected[] = {40ms, 80ms, 100ms, 100ms};
  for (std::size_t i = 0; i < 4; ++i) EXPECT_GE(at[i + 1] - at[i], expected[i]) << "before attempt " << i + 2;
  EXPECT_EQ(connections_once(1), 1);
}

TEST_F(ReconnectorTest, LostConnection_IsMadeAgainAfterTheFirstDelay_WithTheBackoffReset) {
  broker_.fail_connects(2);
  reconnector_.start();
  ASSERT_TRUE(broker_.wait_for([](const FakeBroker& b) { return b.connected(); }));
  broker_.lose_connection();  // no handlers here: the owner would pass the loss on, as below
  reconnector_.connection_lost("keep-alive timeout");
  ASSERT_TRUE(broker_.wait_for([](const FakeBroker& b) { return b.connected() && b.attempts().size() == 4; }));
  const auto& at = broker_.attempts();
  EXPECT_LT(at[3] - at[2], 1s);  // not the grown delay of the failures before
  EXPECT_EQ(connections_once(2), 2);
}

TEST_F(ReconnectorTest, Stop_EndsTheAttempts) {
  broker_.fail_connects(1000);
  reconnector_.start();
  ASSERT_TRUE(broker_.wait_for([](const FakeBroker& b) { return attempts_at_least(b, 2); }));
  reconnector_.stop();
  std::size_t attempts = 0;
  broker_.wait_for([&](const FakeBroker& b) {
    attempts = b.attempts().size();
    return true;
  });
  std::this_thread::sleep_for(250ms);  // past two retry delays
  EXPECT_FALSE(broker_.wait_for([&](const FakeBroker& b) { return b.attempts().size() > attempts; }, 0ms));
  std::lock_guard lock(mutex_);
  EXPECT_EQ(connections_, 0);
}

TEST(CommandOutbox, PublishesInOrder_AndGoesOnPastAFailedCommand) {
  FakeBroker broker;
  broker.fail_publishing_to("b");
  CommandOutbox outbox(broker);
  outbox.publish("a", "1");
  outbox.publish("b", "2");
  outbox.publish("c", "3");
  outbox.stop();  // sends what is queued first
  outbox.publish("d", "4");
  EXPECT_EQ(broker.published(), (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"c", "3"}}));
}

}  // namespace
}  // namespace sterifleet::ingest::testing
