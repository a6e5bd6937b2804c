// The state of every shard of a cluster as the shards' owners stored it, kept by every daemon to answer
// the API's reads (the device list, a device's detail, clinics, recalls) for the whole fleet, whichever
// daemon judges which shard. One read-only replica per shard: a Fleet rebuilt from the shard's newest
// snapshot and its journal after it, exactly as a takeover rebuilds it (Fleet::follow), then kept up to
// date by replaying the journal after its position (Fleet::catch_up). A replica writes nothing: its
// store is read-only, and it judges no input of its own (no start, clock, commands, events or
// notifications; policy reloads and compactions are journaled, so it replays them like a restart does).
//
// One background thread polls every shard's last commit (one query for all) and catches up only the
// shards that moved; wait_for() catches a shard up at once, so that a person's action is visible to
// the reads made after it returns. All replicas read through one small pool of connections.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "command_relay.hpp"
#include "sterifleet/fleet/fleet.hpp"

namespace sterifleet::app {

struct ShardReplicasOptions {
  std::string store_url;  ///< postgresql://...
  int shards = 0;         ///< the cluster's (the `cluster` table's)
  fleet::FleetOptions fleet;
  std::chrono::milliseconds poll{200};  ///< how often the shards' last commits are read
  int connections = 2;                  ///< reading connections shared by all replicas
};

/// Thread-safe.
class ShardReplicas {
 public:
  /// Opens a read-only store per shard on shared connections; loads nothing yet. Throws
  /// store::StoreError (no such database, not migrated) and std::invalid_argument for a shard count
  /// outside 1 to 1024.
  ShardReplicas(ShardReplicasOptions options, engine::Policy policy);
  /// stop()
  ~ShardReplicas();
  ShardReplicas(const ShardReplicas&) = delete;
  ShardReplicas& operator=(const ShardReplicas&) = delete;

  /// Loads every shard, then keeps them up to date, on a thread of its own. A shard that cannot be read
  /// (the database is down, an entry cannot be replayed) is reported in the log and tried again at the
  /// next poll; the others go on.
  void start();
  void stop();

  /// Every shard has been loaded once (readiness: until then the fleet's views are incomplete).
  bool loaded() const { return loaded_; }
  /// All shards' devices and clinics, merged again only when one of them published a new view.
  std::shared_ptr<const fleet::FleetView> view() const;
  /// Each shard's engine in turn, shared with the replica's catching up, until `visit` returns true.
  void visit_engines(const std::function<bool(const engine::Engine&)>& visit) const;
  /// The shard whose replica has the device; nullopt when none has it, or several (a device id used by
  /// clinics of different shards: which one is meant cannot be told).
  std::optional<int> shard_of_device(const std::string& device) const;
  /// Blocks until the shard's replica has applied commit `commit`, catching it up at once; false when
  /// `timeout` passed first (the commit is not stored yet, or the database failed: logged). Throws
  /// std::out_of_range for a shard the cluster does not have.
  bool wait_for(int shard, std::int64_t commit, std::chrono::milliseconds timeout);
  /// The last commit the shard's replica has applied (0 before it is loaded).
  std::int64_t applied(int shard) const;

 private:
  struct Replica;
  Replica& replica(int shard) const;
  void run();
  /// One poll: the last commits, then every shard that is not loaded or is behind.
  void poll();
  /// Loads the replica, or catches it up, to at least `through`; the caller holds its catching_up.
  void catch_up(Replica& replica, std::int64_t through);
  /// Merges the shards' views again if one changed; the caller holds merge_mutex_.
  void merge() const;

  ShardReplicasOptions options_;
  std::shared_ptr<store::PostgresReaders> readers_;
  // What a Fleet is built with and a replica never uses: it sends, publishes and measures nothing.
  CommandRelay no_commands_;
  fleet::EventBus no_events_;
  fleet::Metrics no_metrics_;
  std::vector<std::unique_ptr<Replica>> replicas_;  ///< by shard; fixed after construction
  std::atomic<bool> loaded_{false};
  bool poll_failing_ = false;  ///< only the polling thread touches it

  mutable std::mutex merge_mutex_;
  mutable std::vector<std::shared_ptr<const fleet::FleetView>> merged_from_;  ///< each shard's view merged last
  mutable std::shared_ptr<const fleet::FleetView> merged_;
  mutable std::unordered_map<std::string, int> device_shards_;  ///< kSeveralShards: more than one

  std::mutex run_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  ///< guarded by run_mutex_
  std::thread thread_;
};

}  // namespace sterifleet::app
