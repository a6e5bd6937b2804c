// The fleet's clock: Fleet::tick() once a period on an executor (offline detection, gauges, compaction
// and snapshots when due), shared by the single daemon and each shard worker of a cluster node.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <exception>
#include <functional>

#include "sterifleet/fleet/fleet.hpp"

namespace sterifleet::app {

/// Ticks skip while `hearing` says the broker is away: the devices' silence then is the daemon's
/// deafness, not theirs (the audit anchor still comes when due). A tick that throws stops the ticker and hands the
/// exception to `failed` (a storage error, or store::FencedOut for a shard whose lease is gone). Not thread-safe: start
/// and stop it on the executor's thread or before that runs.
class FleetTicker {
 public:
  FleetTicker(boost::asio::any_io_executor executor, std::chrono::milliseconds period, fleet::Fleet& fleet,
              std::function<bool()> hearing, std::function<void(std::exception_ptr)> failed);

  void start();
  void stop() { timer_.cancel(); }

 private:
  std::chrono::milliseconds period_;
  fleet::Fleet& fleet_;
  std::function<bool()> hearing_;
  std::function<void(std::exception_ptr)> failed_;
  boost::asio::steady_timer timer_;
};

}  // namespace sterifleet::app
