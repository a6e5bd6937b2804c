// A daemon of a cluster: it heartbeats, holds its share of the shard leases (cluster::LeaseRunner) and
// runs a ShardWorker for each shard it holds: started when a lease is gained, stopped at once when it is
// lost or fencing refuses a commit, stopped cleanly (snapshot) and handed back when another daemon is to
// take it. Clinics come from the cluster's registry (clinic_shards), read again every second; shard 0's
// worker also runs the lobby (lobby.hpp), and a shard's owner takes in each new clinic of its shard: the
// lobby's messages of it, its subscriptions, the marker that makes it live, the lobby's messages again.
#pragma once

// GCC 12 at -O2 reports null dereferences inside Asio's scheduler (false positives in third-party code).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "clinic_registry.hpp"
#include "config.hpp"
#include "shard_worker.hpp"
#include "sterifleet/cluster/lease_runner.hpp"

namespace sterifleet::app {

struct ClusterNodeOptions {
  std::string daemon_id;
  std::string store_url;  ///< postgresql://...
  cluster::ShardMap map;
  std::vector<std::string> clinics;  ///< registered at start, with the map's pins
  cluster::LeaseTiming timing;
  ingest::MqttOptions mqtt;  ///< each shard's session gets its own client id
  fleet::FleetOptions fleet;
  std::chrono::milliseconds tick{1000};
  std::chrono::milliseconds registry_poll{1000};
  std::string api;  ///< where this daemon's API listens, for the daemons table
  /// Each shard's worker delivers its shard's notifications with these receivers and routes, sending on
  /// threads the daemon's shards share.
  notify::NotifyConfig notify;
};

/// The node's options from a configuration with a [cluster] table (throws std::invalid_argument without).
ClusterNodeOptions cluster_node_options(const Config& config);

/// Thread-safe. The lease runner's events and the workers' start and stop run on one thread of the node.
class ClusterNode {
 public:
  using FatalHandler = std::function<void(const std::string& why)>;

  /// Migrates the schema, registers the configured clinics and checks the shard count; throws
  /// store::StoreError or cluster::ClusterError, and std::invalid_argument for an unusable receiver. Claims nothing
  /// before start(). `fatal` is called on a storage failure other than fencing and must not return. The shards' live
  /// events go to `events`, which must outlive the node.
  ClusterNode(ClusterNodeOptions options, engine::Policy policy, FatalHandler fatal, fleet::EventBus& events);
  /// stop() if started.
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  void start();
  /// Stops every worker cleanly (snapshots), releases their leases and ends the node's threads.
  void stop();

  /// The shards whose workers run now, by shard (for readiness and metrics).
  std::vector<cluster::HeldLease> running() const;

  /// The metrics of the shards this daemon runs, each series labelled with its shard.
  std::vector<prometheus::MetricFamily> shard_metrics() const;

  /// Publishes retained (the audit checkpoint) through the session of a shard this daemon runs, in the
  /// background; with none running it is not published (the checkpoint file keeps it). Never blocks.
  void publish_retained(std::string topic, std::string payload);

 private:
  void gained(cluster::HeldLease lease);
  void lost(cluster::HeldLease lease);
  void release_wanted(cluster::HeldLease lease);
  void fenced(cluster::HeldLease lease, const std::string& why);
  /// The worker of `lease` (this epoch), or nullptr.
  ShardWorker* worker_of(cluster::HeldLease lease);
  void remove_worker(int shard);
  std::vector<std::string> filters_of(cluster::Shard shard);
  void poll_registry();
  /// Takes in the clinics of this daemon's shards that are not live or still have messages in the lobby.
  void take_arrivals();
  /// Judges the lobby's messages of `clinic` on its shard's fleet, in arrival order; false when the
  /// worker was stopped (fenced) or the registry could not be read.
  bool take_from_lobby(ShardWorker& worker, const protocol::ClinicId& clinic);
  void log_clinics();
  void run_on_node(std::function<void()> work);

  ClusterNodeOptions options_;
  engine::Policy policy_;
  FatalHandler fatal_;
  fleet::EventBus& events_;
  ClinicRegistry registry_;  ///< used on the node's thread only (and by the constructor)
  std::map<cluster::Shard, std::vector<protocol::ClinicId>> known_clinics_;  ///< the registry's last answer
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::steady_timer poll_timer_;
  /// The shards' deliveries, DispatcherOptions::workers at once for the whole daemon rather than per
  /// shard (32 shards would hold 128 threads); none without receivers. Outlives the workers.
  std::unique_ptr<boost::asio::thread_pool> notify_senders_;
  std::map<cluster::Shard, std::unique_ptr<ShardWorker>> workers_;  ///< the node's thread only
  mutable std::mutex running_mutex_;
  std::vector<cluster::HeldLease> running_;                                           ///< guarded by running_mutex_
  std::map<cluster::Shard, std::shared_ptr<prometheus::Registry>> shard_registries_;  ///< guarded by running_mutex_
  cluster::LeaseRunner runner_;
  std::thread thread_;
  bool started_ = false;
  std::atomic<bool> stopped_{false};  ///< set by stop(), read on the node's thread
};

}  // namespace sterifleet::app
