// One shard of a cluster, run by the daemon that holds its lease: the shard's writer store (every commit
// fenced by the lease's epoch), a Fleet rebuilt from the shard's newest snapshot and its journal after
// it, the shard's persistent MQTT session (acknowledging after the commit), the clock and the people's
// actions any daemon's API queued for the shard (ShardCommands), on a thread of its own. ClusterNode
// starts one when it gains a lease and stops it when the lease goes.
#pragma once

// GCC 12 at -O2 reports null dereferences inside Asio's scheduler (false positives in third-party code).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "command_relay.hpp"
#include "fleet_deliveries.hpp"
#include "fleet_ticker.hpp"
#include "lobby.hpp"
#include "shard_commands.hpp"
#include "sterifleet/cluster/lease_keeper.hpp"
#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/ingest/mqtt_ingest.hpp"
#include "sterifleet/notify/notifier.hpp"

namespace sterifleet::app {

struct ShardWorkerOptions {
  cluster::HeldLease lease;
  std::string owner;                 ///< this daemon's id, as in the lease
  std::string store_url;             ///< postgresql://...
  ingest::MqttOptions mqtt;          ///< client_id: the shard's session (cluster::ShardMap::client_id)
  std::vector<std::string> filters;  ///< the shard's clinics' (cluster::ShardMap::topic_filters)
  fleet::FleetOptions fleet;
  std::chrono::milliseconds tick{1000};
  /// How long the shard's writer may sit inside a transaction before PostgreSQL ends its session: the
  /// lease's local deadline (ttl - safety margin), past which this daemon is no owner anyway.
  std::chrono::milliseconds stall_limit{0};
  /// The daemon's [notify]: the shard delivers its own outbox's notifications (none without receivers).
  notify::NotifyConfig notify;
  /// shared_workers: the daemon's sending threads, shared by its shards (count_rows is ignored).
  notify::DispatcherOptions dispatch;
  /// Shard 0's worker also runs the lobby (app/lobby.hpp), registering new clinics on this map's shards.
  std::optional<cluster::ShardMap> lobby;
  /// How often the shard's API commands are looked for besides PostgreSQL's notifications.
  std::chrono::milliseconds command_poll{500};
};

struct ShardWorkerHandlers {
  /// Fencing refused a commit: the lease is gone. Called once, from one of the worker's threads: post the
  /// stop elsewhere and return. The worker has disconnected from the broker already.
  std::function<void(cluster::HeldLease, const std::string& why)> fenced;
  /// Any other storage failure: as in the single daemon, the process must end (must not return).
  std::function<void(const std::string& why)> fatal;
};

/// Start, stop and add_filters are called from one thread (the node's); the rest runs on the worker's.
class ShardWorker {
 public:
  /// Opens the shard's writer store and rebuilds its state; throws store::StoreError (store::FencedOut if
  /// the lease went meanwhile). Nothing is received before start().
  /// The shard's live events go to `events` (the daemon's bus, relayed to the other daemons).
  ShardWorker(ShardWorkerOptions options, engine::Policy policy, ShardWorkerHandlers handlers, fleet::EventBus& events);
  /// stop_now() unless stopped.
  ~ShardWorker();
  ShardWorker(const ShardWorker&) = delete;
  ShardWorker& operator=(const ShardWorker&) = delete;

  /// Connects the shard's session (in the background) and starts the clock.
  void start();
  /// The lease is lost: disconnect first (a commit in flight is refused by fencing, or was made while
  /// the lease held), then stop the clock and the thread. No snapshot: the store would refuse it.
  void stop_now();
  /// The lease is to be handed over: stop receiving, store everything received, then save a snapshot so
  /// that the next owner replays nothing. Throws store::StoreError (FencedOut: the lease went first).
  void stop_cleanly();

  /// Through the shard's session (the audit checkpoint); queued, never blocks.
  void publish_retained(const std::string& topic, const std::string& payload) {
    mqtt_.publish_retained(topic, payload);
  }

  /// Clinics that joined the shard: subscribed at once when connected.
  void add_filters(const std::vector<std::string>& filters) { mqtt_.add_filters(filters); }
  /// True once the broker granted the shard's session each of `filters`.
  bool subscribed_to(const std::vector<std::string>& filters) { return mqtt_.subscribed_to(filters); }
  /// Tells the lobby that the session holds `clinic`'s subscriptions (after subscribed_to said so).
  void publish_live(const protocol::ClinicId& clinic) { mqtt_.publish(std::string(lobby_live_topic), clinic.str()); }

  const cluster::HeldLease& lease() const { return options_.lease; }
  bool connected() const { return mqtt_.connected(); }
  fleet::Fleet& fleet() { return fleet_; }
  std::shared_ptr<prometheus::Registry> metrics() const { return metrics_.shared_registry(); }

 private:
  void fenced(const std::string& why);
  void failed(std::exception_ptr failure);
  void stop_threads();

  // In the order of construction: each part is built from those above it and destroyed before them.
  ShardWorkerOptions options_;
  ShardWorkerHandlers handlers_;
  std::unique_ptr<store::Store> store_;
  fleet::Metrics metrics_;
  CommandRelay relay_;
  fleet::Fleet fleet_;
  FleetDeliveries deliveries_{fleet_};          ///< outlives the notifier, whose workers call it
  std::unique_ptr<notify::Notifier> notifier_;  ///< none without receivers
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  ingest::MqttIngest mqtt_;
  FleetTicker ticker_;
  std::unique_ptr<Lobby> lobby_;  ///< shard 0's worker's
  ShardCommands commands_;
  std::thread thread_;
  std::atomic<bool> fenced_{false};
  bool stopped_ = false;
};

}  // namespace sterifleet::app
