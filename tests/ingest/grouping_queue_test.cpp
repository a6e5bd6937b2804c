// Grouping and back-pressure of received messages, without a broker: what the store gets, in which
// groups, and when the receiving thread has to wait.
#include "sterifleet/ingest/grouping_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "running_io.hpp"

namespace sterifleet::ingest {
namespace {

using namespace std::chrono_literals;

Received message(std::int64_t number) {
  auto text = std::make_shared<const std::string>(std::to_string(number));
  return {number, text, "sterifleet/v1/c/d/event", *text, false, std::chrono::steady_clock::now()};
}

/// What the store was given, group by group (receipt numbers), seen from any thread.
class Groups {
 public:
  GroupingQueue::Store store() {
    return [this](std::span<const Received> group) {
      std::vector<std::int64_t> receipts;
      for (const auto& m : group) receipts.push_back(m.receipt);
      std::lock_guard lock(mutex_);
      groups_.push_back(std::move(receipts));
      changed_.notify_all();
    };
  }
  std::vector<std::vector<std::int64_t>> wait_for_messages(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 5s, [&] { return count() >= n; });
    return groups_;
  }

 private:
  std::size_t count() const {
    std::size_t n = 0;
    for (const auto& g : groups_) n += g.size();
    return n;
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::vector<std::int64_t>> groups_;
};

std::vector<std::int64_t> flattened(const std::vector<std::vector<std::int64_t>>& groups) {
  std::vector<std::int64_t> all;
  for (const auto& g : groups) all.insert(all.end(), g.begin(), g.end());
  return all;
}

TEST(GroupingQueue, Burst_IsStoredInArrivalOrderInGroupsOfAtMostMaxGroup) {
  boost::asio::io_context io;  // not running while the burst arrives
  Groups groups;
  GroupingQueue queue({.max_group = 3, .max_queued = 100, .full_group = 3, .linger = 50ms}, io.get_executor(),
                      groups.store());
  for (int i = 1; i <= 10; ++i) queue.push(message(i));
  io.run();
  const auto stored = groups.wait_for_messages(10);
  EXPECT_EQ(flattened(stored), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  for (const auto& g : stored) EXPECT_LE(g.size(), 3u);
  EXPECT_EQ(stored.size(), 4u);
}

TEST(GroupingQueue, MessageAfterAQuietSpell_IsStoredWithoutLingering) {
  Groups groups;
  testing::RunningIo running;
  // A linger far longer than the wait below: only the quiet-spell rule can store the message in time.
  GroupingQueue queue({.max_group = 10, .max_queued = 100, .full_group = 10, .linger = 60s}, running.executor(),
                      groups.store());
  queue.push(message(1));
  EXPECT_EQ(flattened(groups.wait_for_messages(1)), std::vector<std::int64_t>{1});
  running.stop();  // before the queue goes: its handlers may still be running
}

TEST(GroupingQueue, InAStream_AGroupWaitsToFillUntilItsFirstMessageLingered) {
  Groups groups;
  testing::RunningIo running;
  GroupingQueue queue({.max_group = 10, .max_queued = 100, .full_group = 4, .linger = 300ms}, running.executor(),
                      groups.store());
  queue.push(message(1));
  groups.wait_for_messages(1);
  // Right after a group was stored the stream is on: these two wait for company or for the linger.
  queue.push(message(2));
  queue.push(message(3));
  const auto stored = groups.wait_for_messages(3);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1], (std::vector<std::int64_t>{2, 3}));
  running.stop();  // before the queue goes: its handlers may still be running
}

TEST(GroupingQueue, InAStream_AFullGroupDoesNotWaitForTheLinger) {
  Groups groups;
  testing::RunningIo running;
  GroupingQueue queue({.max_group = 10, .max_queued = 100, .full_group = 3, .linger = 60s}, running.executor(),
                      groups.store());
  queue.push(message(1));
  groups.wait_for_messages(1);
  for (int i = 2; i <= 4; ++i) queue.push(message(i));
  const auto stored = groups.wait_for_messages(4);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1], (std::vector<std::int64_t>{2, 3, 4}));
  running.stop();  // before the queue goes: its handlers may still be running
}

TEST(GroupingQueue, FullQueue_MakesTheReceiverWaitUntilAGroupIsTaken) {
  testing::RunningIo running;
  std::promise<void> release_store;
  auto released = release_store.get_future().share();
  std::atomic<int> stored{0};
  GroupingQueue queue({.max_group = 1, .max_queued = 2, .full_group = 1, .linger = 0ms}, running.executor(),
                      [&](std::span<const Received> group) {
                        released.wait();
                        stored += static_cast<int>(group.size());
                      });
  queue.push(message(1));  // taken by the store, which blocks
  while (queue.queued() != 0) std::this_thread::yield();
  queue.push(message(2));
  std::atomic<bool> third_returned{false};
  std::thread receiver([&] {
    queue.push(message(3));  // the queue holds two: the receiver waits
    third_returned = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(third_returned);
  EXPECT_EQ(queue.queued(), 2u);
  release_store.set_value();
  receiver.join();
  EXPECT_TRUE(third_returned);
  queue.flush();
  EXPECT_EQ(stored, 3);
  running.stop();  // before the queue goes: its handlers may still be running
}

TEST(GroupingQueue, Flush_StoresEverythingQueuedOnTheCallersThread) {
  boost::asio::io_context io;  // never run: only flush() can store
  Groups groups;
  std::thread::id storing_thread;
  GroupingQueue queue({.max_group = 2, .max_queued = 100, .full_group = 2, .linger = 60s}, io.get_executor(),
                      [&, store = groups.store()](std::span<const Received> group) {
                        storing_thread = std::this_thread::get_id();
                        store(group);
                      });
  for (int i = 1; i <= 5; ++i) queue.push(message(i));
  queue.flush();
  EXPECT_EQ(flattened(groups.wait_for_messages(5)), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(storing_thread, std::this_thread::get_id());
  EXPECT_EQ(queue.queued(), 0u);
}

TEST(GroupingQueue, AfterFlushBegins_AFullQueueNoLongerHoldsTheReceiver) {
  boost::asio::io_context io;
  std::atomic<int> stored{0};
  GroupingQueue queue({.max_group = 10, .max_queued = 1, .full_group = 10, .linger = 0ms}, io.get_executor(),
                      [&](std::span<const Received> group) { stored += static_cast<int>(group.size()); });
  std::thread receiver([&] { queue.push(message(1)); });  // waits: the queue holds one, nothing runs
  while (queue.queued() != 1) std::this_thread::yield();
  queue.flush();
  receiver.join();
  queue.flush();
  EXPECT_EQ(stored, 1);
}

}  // namespace
}  // namespace sterifleet::ingest
