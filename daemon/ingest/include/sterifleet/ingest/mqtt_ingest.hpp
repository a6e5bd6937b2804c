// MQTT in and commands out: the ingest, put together from its pieces (daemon/ingest/README.md tells how
// a message is kept).
//
// Paho acknowledges a QoS 1 message when the message callback returns, and hands over the next one
// only then. So the callback appends the message to the receipt log (a copy into a shared file mapping,
// as durable as the store's WAL) and queues it (GroupingQueue); the queue hands groups, in arrival
// order, to the Fleet on the executor (decode, engine, one store transaction a group, which also
// records the last receipt stored). A start first re-runs the receipts the store does not hold. If
// storing fails, the process stops: what was acknowledged is in the receipt log for the next run.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

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
  ~MqttIngest() override;

  /// Stores the receipts a previous run acknowledged but did not store (returns how many; throws what
  /// the store or the log throws), then connects in the background; subscriptions are (re)made on
  /// every connection.
  std::size_t start();
  /// Disconnects, then stores everything received.
  void stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool connected() const { return connected_.load(); }

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
  void store(std::span<const Received> group);
  std::size_t recover();
  std::vector<std::string> subscriptions() const;

  MqttOptions options_;
  std::size_t recovery_group_;
  fleet::Fleet& fleet_;
  fleet::Metrics& metrics_;
  FatalHandler fatal_;
  ReceiptLog receipts_;
  std::unique_ptr<BrokerClient> client_;
  GroupingQueue queue_;
  CommandOutbox outbox_;
  Reconnector reconnector_;
  std::atomic<bool> connected_{false};
};

}  // namespace sterifleet::ingest
