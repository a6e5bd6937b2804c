// sterifleetd as one daemon of a cluster (store.url = "postgresql://...", [cluster]): it holds its share
// of the shards' leases and judges those shards (ClusterNode), keeps a replica of every shard to answer
// the API for the whole fleet (ShardReplicas), sends people's actions to each shard's owner
// (ClusterFront), relays live events to and from the other daemons (cluster::EventRelay), and serves
// HTTP like the single daemon. Design: daemon/README.md, "Beyond one machine".
#pragma once

// GCC 12 at -O2 reports null dereferences inside Asio's scheduler (false positives in third-party code).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <atomic>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <thread>

#include "cluster_front.hpp"
#include "cluster_node.hpp"
#include "config.hpp"
#include "daemon_parts.hpp"
#include "shard_replicas.hpp"
#include "sterifleet/cluster/event_relay.hpp"
#include "sterifleet/http/server.hpp"

namespace sterifleet::app {

class ClusterDaemon {
 public:
  /// Migrates the schema, registers the configured clinics, opens the API's store and binds the HTTP
  /// port; throws StartError. Holds no shard before run().
  ClusterDaemon(Config config, engine::Policy policy);
  ClusterDaemon(const ClusterDaemon&) = delete;
  ClusterDaemon& operator=(const ClusterDaemon&) = delete;

  /// Claims its share of the shards and serves until SIGTERM or SIGINT; then hands its shards over
  /// (snapshot, release) and stops.
  void run();

 private:
  void await_stop();
  void await_reload();
  /// Checks the policy file, then has every shard's owner journal it (in the background: a shard with no
  /// owner holds the reload up to the command queue's wait).
  void reload_policy();

  // In the order of construction: each part is built from those above it and destroyed before them.
  Config config_;
  std::unique_ptr<store::Store> store_;  ///< read-only: the API's queries over every shard
  fleet::Metrics metrics_;
  fleet::EventBus events_;
  ShardReplicas replicas_;
  cluster::CommandQueue queue_;
  cluster::CommandClient commands_;
  ClusterFront front_;
  ClusterNode node_;
  std::unique_ptr<cluster::EventRelay> relay_;  ///< from run() on
  CheckpointSigner checkpoints_;
  boost::asio::thread_pool checkpoint_senders_{1};
  boost::asio::io_context io_;
  boost::asio::steady_timer checkpoint_timer_;
  http::HttpServer web_;
  boost::asio::signal_set stop_signals_;
  boost::asio::signal_set reload_signal_;
  std::jthread reloading_;  ///< the last reload's submissions; joined before the parts it uses go
  std::atomic<bool> reload_done_{true};
};

}  // namespace sterifleet::app
