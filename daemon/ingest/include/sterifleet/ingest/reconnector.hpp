// Keeps the broker connection up: the first connection and every one after a loss are attempted from an
// Asio timer, one attempt at a time, waiting longer after each failure.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include "sterifleet/ingest/broker_client.hpp"
#include "sterifleet/ingest/strand_timer.hpp"

namespace sterifleet::ingest {

struct Backoff {
  std::chrono::milliseconds first{1000};  ///< after a lost connection or a first failure
  std::chrono::milliseconds max{30000};   ///< doubling up to this
};

/// Thread-safe. Must outlive the handlers it posts to `executor`: destroy it once that stopped running.
class Reconnector {
 public:
  /// `connected` runs on the client's thread when an attempt succeeds, before any message of the new
  /// connection is delivered (the client runs its handlers one at a time).
  Reconnector(BrokerClient& client, boost::asio::any_io_executor executor, Backoff backoff, std::string broker,
              std::function<void()> connected);
  Reconnector(const Reconnector&) = delete;
  Reconnector& operator=(const Reconnector&) = delete;

  /// The first attempt, at once.
  void start();
  /// From the client's connection-lost handler: the next attempt after `backoff.first`.
  void connection_lost(const std::string& cause);
  /// No attempt starts any more; waits for one in flight to end.
  void stop();

 private:
  void attempt();
  void finished(const std::string& error);
  void retry_after(std::chrono::milliseconds delay);

  BrokerClient& client_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  StrandTimer timer_;  ///< on strand_
  const Backoff backoff_;
  const std::string broker_;
  const std::function<void()> connected_;
  std::mutex mutex_;
  std::condition_variable idle_;
  bool in_flight_ = false;                   ///< guarded by mutex_
  bool stopped_ = false;                     ///< guarded by mutex_
  std::chrono::milliseconds next_delay_{0};  ///< guarded by mutex_: after the next failure
};

}  // namespace sterifleet::ingest
