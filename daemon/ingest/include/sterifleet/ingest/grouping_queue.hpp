// Received messages waiting to be stored, handed to the store in groups, in arrival order. Bounded:
// when full, the receiving thread waits (and the broker keeps the rest, unacknowledged).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>

#include "sterifleet/ingest/strand_timer.hpp"

namespace sterifleet::ingest {

struct Received {
  std::int64_t receipt = 0;
  std::shared_ptr<const void> owner;  ///< keeps topic and payload alive: the broker's message, or a receipt
  std::string_view topic;
  std::string_view payload;
  bool retained = false;
  std::chrono::steady_clock::time_point arrived;
};

struct GroupingOptions {
  std::size_t max_group = 2000;    ///< messages a store transaction
  std::size_t max_queued = 20000;  ///< received, not yet stored: past this push() waits
  /// In a stream (the last group was stored less than `linger` ago) a group starts once `full_group`
  /// messages wait, or when the first of them has waited `linger`; after a quiet spell a message is
  /// stored at once. Without the wait a store that keeps up takes a stream's messages nearly one by
  /// one, and pays a hand-over and a commit for each.
  std::size_t full_group = 1000;
  std::chrono::milliseconds linger{5};
};

/// Thread-safe. Groups are stored one at a time, on the executor (through a strand of its own) or on
/// the thread that calls flush(). Must outlive the handlers it posts: destroy it once the executor
/// stopped running them.
class GroupingQueue {
 public:
  using Store = std::function<void(std::span<const Received> group)>;

  GroupingQueue(GroupingOptions options, boost::asio::any_io_executor executor, Store store);
  GroupingQueue(const GroupingQueue&) = delete;
  GroupingQueue& operator=(const GroupingQueue&) = delete;

  /// Queues a message; waits while `max_queued` are waiting, unless flush() has begun.
  void push(Received message);
  /// Stops making push() wait, then stores on the caller's thread everything queued, as soon as a group
  /// the executor is storing has been stored.
  void flush();
  std::size_t queued() const;

 private:
  void drain();
  bool store_group();

  const GroupingOptions options_;
  const Store store_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  mutable std::mutex queue_mutex_;
  std::condition_variable room_;
  std::deque<Received> queue_;    ///< guarded by queue_mutex_
  bool drain_scheduled_ = false;  ///< guarded by queue_mutex_: a drain() is posted, running or timed
  bool flushing_ = false;         ///< guarded by queue_mutex_
  StrandTimer group_timer_;       ///< on strand_
  std::chrono::steady_clock::time_point last_group_stored_;  ///< by drain(), on strand_
  std::mutex store_mutex_;                                   ///< one group at a time: the strand's, or flush()'s
};

}  // namespace sterifleet::ingest
