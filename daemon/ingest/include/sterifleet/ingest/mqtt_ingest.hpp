// MQTT in and commands out: the ingest, put together from its pieces (daemon/ingest/README.md tells how
// a message is kept).
//
// Paho acknowledges a QoS 1 message when the message callback returns, and hands over the next one
// only then. So the callback appends the message to the receipt log (a copy into a shared file mapping,
// as durable as the store's WAL) and queues it (GroupingQueue); the queue hands groups, in arrival
// order, to the Fleet on the executor (decode, engine, one store transaction a group, which also
// records the last receipt stored). A start first re-runs the receipts the store does not hold. If
// storing fails, the process stops: what was acknowledged is in the receipt log for the next run.
//
// A cluster's shard session (AfterCommitOptions) keeps no receipt log, since the daemon that takes the
// shard over runs on another machine and could not read it: its callback stores the message (a commit
// of its own) before it returns, so the broker keeps every message that is not in the shared store.
// Paho runs every callback of the process on one thread under one lock, so a process's shard sessions
// take turns, a commit a message (bench/README.md measures what that costs).
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sterifleet/fleet/command_sink.hpp"
#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/ingest/broker_client.hpp"
#include "sterifleet/ingest/command_outbox.hpp"
#include "sterifleet/ingest/grouping_queue.hpp"
#include "sterifleet/ingest/mqtt_options.hpp"
#include "sterifleet/ingest/receipt_log.hpp"
#include "sterifleet/ingest/reconnector.hpp"

namespace sterifleet::ingest {

struct ReceiptOptions {
  std::filesystem::path folder = "sterifleet.db-receipts";
  bool sync = false;  ///< sync each receipt to disk (a store with synchronous=FULL)
  GroupingOptions grouping;
};

/// A cluster's shard session (daemon/ingest/README.md): it subscribes to exactly `filters` (the shard's,
/// cluster::ShardMap::topic_filters) under MqttOptions::client_id (ShardMap::client_id), and a message is
/// acknowledged only after the store commit that holds it.
struct AfterCommitOptions {
  std::vector<std::string> filters;
  /// Called, instead of the fatal handler, when fencing refused a commit (store::FencedOut): the shard's
  /// lease is gone, so the worker of the shard stops, not the process. The message whose commit was
  /// refused is not acknowledged: the session is closed before its callback returns, so the broker keeps
  /// it for the shard's next owner. Runs on the client's thread: post the stop elsewhere and return.
  std::function<void(const std::string& why)> fenced;
};

class MqttIngest : public fleet::CommandSink {
 public:
  using FatalHandler = std::function<void(const std::string& why)>;

  /// Connects through Paho. Stores on `executor` (serially, in arrival order). `fatal` is called when a
  /// message could not be recorded or stored; it must not return.
  MqttIngest(MqttOptions options, ReceiptOptions receipts, fleet::Fleet& fleet, fleet::Metrics& metrics,
             boost::asio::any_io_executor executor, FatalHandler fatal);
  /// The same on any broker client, reconnecting with `backoff`.
  MqttIngest(std::unique_ptr<BrokerClient> client, MqttOptions options, ReceiptOptions receipts, fleet::Fleet& fleet,
             fleet::Metrics& metrics, boost::asio::any_io_executor executor, FatalHandler fatal, Backoff backoff = {});
  /// A shard session, through Paho: it stores in the message callback; `executor` runs its reconnection.
  MqttIngest(MqttOptions options, AfterCommitOptions shard, fleet::Fleet& fleet, fleet::Metrics& metrics,
             boost::asio::any_io_executor executor, FatalHandler fatal);
  /// A shard session on any broker client.
  MqttIngest(std::unique_ptr<BrokerClient> client, MqttOptions options, AfterCommitOptions shard, fleet::Fleet& fleet,
             fleet::Metrics& metrics, boost::asio::any_io_executor executor, FatalHandler fatal, Backoff backoff = {});
  ~MqttIngest() override;

  /// Stores the receipts a previous run acknowledged but did not store (returns how many; throws what
  /// the store or the log throws), then connects in the background; subscriptions are (re)made on
  /// every connection.
  std::size_t start();
  /// Disconnects, then stores everything received (a shard session stores each message before its
  /// callback returns: the disconnection waits for a commit in progress).
  void stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool connected() const { return connected_.load(); }

  /// A shard session's subscriptions grow (a clinic joined the shard): subscribed at once when connected,
  /// and on every later connection. Filters it has already are skipped. Thread-safe.
  void add_filters(const std::vector<std::string>& filters);
  /// True once the broker granted each of `filters` to this session (a shard session's; its subscriptions
  /// outlive its connections, clean session off). Thread-safe.
  bool subscribed_to(const std::vector<std::string>& filters);
  /// Connected, and the broker granted every filter the session subscribes to: a device's message
  /// published from now on reaches this session (a readiness probe's answer). Thread-safe.
  bool ingesting();

  /// Queued; published in order, from the outbox's strand.
  void publish(const std::string& topic, const std::string& payload) override;
  /// Queued like a command; the broker keeps it for later subscribers.
  void publish_retained(const std::string& topic, const std::string& payload) {
    outbox_.publish_retained(topic, payload);
  }

 private:
  void on_message(InboundMessage message);
  void on_connected();
  void on_connection_lost(const std::string& cause);
  /// False when it failed (fatal or fenced was called).
  bool store(std::span<const Received> group);
  /// A shard session's commit was refused by fencing: report it once, and close the session.
  void fenced_out(const std::string& why);
  std::size_t recover();
  /// What every connection subscribes to, and whether one is up, in one step with add_filters().
  std::vector<std::string> subscribe_on_connection();
  /// Both guarded by filters_mutex_.
  std::vector<std::string> session_filters() const;
  bool granted_all(const std::vector<std::string>& filters) const;
  void subscribe(const std::vector<std::string>& filters);

  MqttOptions options_;
  std::size_t recovery_group_;
  fleet::Fleet& fleet_;
  fleet::Metrics& metrics_;
  FatalHandler fatal_;
  std::optional<ReceiptLog> receipts_;  ///< none in a shard session
  std::mutex filters_mutex_;
  std::optional<std::vector<std::string>> shard_filters_;  ///< guarded by filters_mutex_; a shard session's
  std::function<void(const std::string&)> fenced_;         ///< a shard session's, if given
  std::atomic<bool> fenced_out_{false};                    ///< no more commits: the lease is gone
  bool subscribed_ = false;        ///< guarded by filters_mutex_: a connection is up and subscribed
  std::set<std::string> granted_;  ///< guarded by filters_mutex_: filters the broker granted this connection
  std::uint64_t connection_ = 0;   ///< guarded by filters_mutex_: which connection subscribe() answers for
  std::unique_ptr<BrokerClient> client_;
  GroupingQueue queue_;  ///< the receipts' (a shard session stores in its callback)
  CommandOutbox outbox_;
  Reconnector reconnector_;
  std::atomic<bool> connected_{false};
};

}  // namespace sterifleet::ingest
