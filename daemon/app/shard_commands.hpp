// A shard worker's API commands (cluster/api_commands.hpp): run on the worker's executor as soon as
// PostgreSQL notifies that one was queued for the shard, and once a poll period in case a notification
// was missed (the inbox's connection was busy, or the command was queued before the worker started).
#pragma once

// GCC 12 at -O2 reports null dereferences inside Asio's scheduler (false positives in third-party code).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop
#include <chrono>
#include <exception>
#include <functional>
#include <string>

#include "sterifleet/cluster/api_commands.hpp"

namespace sterifleet::app {

/// A command that throws (a storage error, or store::FencedOut when the lease is gone) stops it and
/// goes to `failed`. Not thread-safe: start and stop it on the executor's thread or before that runs.
class ShardCommands {
 public:
  /// Opens the inbox's connection: throws store::StoreError.
  ShardCommands(boost::asio::any_io_executor executor, const std::string& url, cluster::HeldLease lease,
                std::string owner, fleet::Fleet& fleet, std::chrono::milliseconds poll,
                std::function<void(std::exception_ptr)> failed);
  ~ShardCommands();
  ShardCommands(const ShardCommands&) = delete;
  ShardCommands& operator=(const ShardCommands&) = delete;

  /// Runs what is queued already, then waits for more.
  void start();
  void stop();

 private:
  void run();
  void wait_for_notification();
  void wait_for_poll();

  cluster::CommandInbox inbox_;
  fleet::Fleet& fleet_;
  std::chrono::milliseconds poll_;
  std::function<void(std::exception_ptr)> failed_;
  boost::asio::posix::stream_descriptor socket_;  ///< the inbox connection's, owned by libpq: released, never closed
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
};

}  // namespace sterifleet::app
