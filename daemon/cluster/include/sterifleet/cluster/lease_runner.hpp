// Drives a LeaseKeeper with a LeaseTable: a thread that heartbeats, renews, releases and claims once
// per renew interval, and a thread that reports the keeper's events in order and declares a lease lost
// at its local deadline even while the first thread waits on the database.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sterifleet/cluster/lease_keeper.hpp"
#include "sterifleet/cluster/lease_table.hpp"

namespace sterifleet::cluster {

/// Called on the runner's event thread, one at a time, in the order the keeper decided: post the work to
/// your own executor and return (hand_back may be called from a handler, stop may not).
struct LeaseHandlers {
  std::function<void(HeldLease)> gained;
  std::function<void(HeldLease)> lost;
  /// Stop the shard, snapshot it, then call LeaseRunner::hand_back.
  std::function<void(HeldLease)> release_wanted;
  std::function<void(HeldLease)> released;
};

struct LeaseRunnerOptions {
  LeaseTableOptions table;  ///< its ttl is timing.ttl
  int shards = 32;
  LeaseTiming timing;
  std::string api;  ///< where this daemon's API listens, for the daemons table
};

/// Thread-safe.
class LeaseRunner {
 public:
  /// Opens the table and checks the shard count (throws ClusterError); start() begins claiming.
  LeaseRunner(LeaseRunnerOptions options, LeaseHandlers handlers);
  ~LeaseRunner();
  LeaseRunner(const LeaseRunner&) = delete;
  LeaseRunner& operator=(const LeaseRunner&) = delete;

  void start();
  /// Releases every lease still held (stop and snapshot the shards first), reports them released and
  /// stops both threads.
  void stop();

  void hand_back(HeldLease lease);
  /// Whether a commit of the shard with this epoch may still be made: false from the local deadline on.
  bool holds(HeldLease lease) const;
  std::vector<HeldLease> held() const;

 private:
  void run_rounds();
  void report_events();
  void round();
  void push(std::vector<LeaseEvent> events);
  void dispatch(const LeaseEvent& event) const;

  LeaseRunnerOptions options_;
  LeaseHandlers handlers_;
  LeaseTable table_;  ///< used by the rounds thread only (and by stop() after it ended)
  mutable std::mutex mutex_;
  std::condition_variable rounds_wake_;
  std::condition_variable events_wake_;
  LeaseKeeper keeper_;
  std::deque<LeaseEvent> events_;
  bool stopping_rounds_ = false;
  bool stopping_events_ = false;
  bool round_failed_ = false;
  bool handed_back_ = false;
  std::thread rounds_;
  std::thread events_thread_;
};

}  // namespace sterifleet::cluster
