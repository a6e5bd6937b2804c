// MQTT in and commands out, on Eclipse Paho (async client): a persistent session, QoS 1 subscriptions
// to the device channels, reconnect with back-off, TLS.
//
// How a message is kept: Paho acknowledges a QoS 1 message when the message callback returns, and
// hands over the next one only then. So the callback appends the message to the receipt log (a copy
// into a shared file mapping, as durable as the store's WAL) and queues it; the daemon's io threads
// take the queue in groups, in arrival order, through the Fleet (decode, engine, one store
// transaction a group, which also records the last receipt stored). In a stream a group waits a few
// milliseconds to fill (ReceiptOptions). A start first re-runs the receipts the store does not hold.
// If storing fails, the process stops: what was acknowledged is in the receipt log for the next run.
// The queue is bounded: when it is full the callback waits, and the broker keeps the rest.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "sterifleet/fleet/command_sink.hpp"
#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/ingest/receipt_log.hpp"

namespace mqtt {
class async_client;
class message;
}  // namespace mqtt

namespace sterifleet::ingest {

struct TlsOptions {
  std::string ca_file;    ///< trust store (PEM); empty: the system's
  std::string cert_file;  ///< client certificate (PEM), for brokers that authenticate by certificate
  std::string key_file;
  bool verify = true;
};

struct MqttOptions {
  std::string url = "tcp://localhost:1883";  ///< tcp://, ssl://, ws://, wss://
  std::string client_id = "sterifleetd";
  std::string username;
  std::string password;
  int version = 4;           ///< 4: MQTT 3.1.1; 5: MQTT 5
  std::string shared_group;  ///< subscribe as $share/<group>/... (scale-out, several daemons)
  std::chrono::seconds keepalive{30};
  std::chrono::seconds session_expiry{7 * 24 * 3600};  ///< MQTT 5 only; 3.1.1 sessions never expire
  std::optional<TlsOptions> tls;
};

struct ReceiptOptions {
  std::filesystem::path folder = "sterifleet.db-receipts";
  bool sync = false;               ///< sync each receipt to disk (a store with synchronous=FULL)
  std::size_t max_group = 2000;    ///< messages a store transaction
  std::size_t max_queued = 20000;  ///< received, not yet stored: past this the callback waits
  /// In a stream (the last group was stored less than `linger` ago) a group starts once `full_group`
  /// messages wait, or when the first of them has waited `linger`; after a quiet spell a message is
  /// stored at once. Without the wait a store that keeps up takes a stream's messages nearly one by
  /// one, and pays a hand-over and a commit for each.
  std::size_t full_group = 1000;
  std::chrono::milliseconds linger{5};
};

class MqttIngest : public fleet::CommandSink {
 public:
  using FatalHandler = std::function<void(const std::string& why)>;

  /// Stores on `executor` (serially, in arrival order). `fatal` is called when a message could not be
  /// recorded or stored; it must not return.
  MqttIngest(MqttOptions options, ReceiptOptions receipts, fleet::Fleet& fleet, fleet::Metrics& metrics,
             boost::asio::any_io_executor executor, FatalHandler fatal);
  ~MqttIngest() override;

  /// Stores the receipts a previous run acknowledged but did not store (returns how many; throws what
  /// the store or the log throws), then connects in the background; subscriptions are (re)made on
  /// every connection.
  std::size_t start();
  /// Disconnects, then stores everything received.
  void stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool connected() const { return connected_.load(); }

  /// Queues a command; a strand of its own publishes the queue in order. The Fleet calls this under
  /// its lock, and Paho calls the connected handler (which takes that lock) under one of Paho's own:
  /// publishing here would hold the two locks in the opposite order.
  void publish(const std::string& topic, const std::string& payload) override;

 private:
  struct Queued {
    std::int64_t receipt;
    std::shared_ptr<const void> bytes;  ///< owns what topic and payload view: Paho's message, or a receipt
    std::string_view topic;
    std::string_view payload;
    bool retained;
    std::chrono::steady_clock::time_point arrived;
  };
  struct Command {
    std::string topic;
    std::string payload;
  };
  void on_message(std::shared_ptr<const mqtt::message> message);
  void on_connected();
  std::string filter(std::string_view channel) const;
  /// On the strand: stores groups while they are due, then waits (on group_timer_) for the next one.
  void drain();
  /// Stores one group from the queue; true when more is queued.
  bool store_group();
  void store(std::span<const Queued> group);
  std::size_t recover();
  void send_commands();

  MqttOptions options_;
  ReceiptOptions receipt_options_;
  fleet::Fleet& fleet_;
  fleet::Metrics& metrics_;
  FatalHandler fatal_;
  ReceiptLog receipts_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  std::mutex queue_mutex_;
  std::condition_variable queue_room_;
  std::deque<Queued> queue_;      ///< guarded by queue_mutex_
  bool group_scheduled_ = false;  ///< guarded by queue_mutex_: a drain() is posted, running or timed
  // Typed on the strand: one converted to any_io_executor makes GCC 12 warn inside Asio (-Wnull-dereference).
  boost::asio::basic_waitable_timer<std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>,
                                    boost::asio::strand<boost::asio::any_io_executor>>
      group_timer_;
  std::chrono::steady_clock::time_point last_group_stored_;  ///< by drain(), on strand_
  bool stopping_ = false;                                    ///< guarded by queue_mutex_
  std::mutex store_mutex_;  ///< one group at a time: the strand's, or stop()'s last ones
  boost::asio::strand<boost::asio::any_io_executor> command_strand_;
  std::mutex outbox_mutex_;
  std::deque<Command> outbox_;     ///< guarded by outbox_mutex_
  bool outbox_scheduled_ = false;  ///< guarded by outbox_mutex_
  std::unique_ptr<mqtt::async_client> client_;
  std::jthread connector_;
  std::atomic<bool> connected_{false};
};

/// Parses "host:port" style broker addresses into a Paho URL when no scheme is given.
std::string normalise_broker_url(const std::string& url);

}  // namespace sterifleet::ingest
