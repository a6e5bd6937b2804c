// MQTT in and commands out, on Eclipse Paho (async client): a persistent session, QoS 1 subscriptions
// to the device channels, reconnect with back-off, TLS.
//
// Why the message callback does the work itself: Paho acknowledges a QoS 1 message when the callback
// returns, and a message may be acknowledged only once it is durably stored. So the callback runs the
// message through the Fleet (decode, engine, store commit) and returns after the commit; handing it to
// another thread would still have to wait, and would cost two thread wake-ups per message. If the store
// fails, the process stops without returning, so the broker redelivers to the next run.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "sterifleet/core/command_sink.hpp"
#include "sterifleet/core/fleet.hpp"

namespace mqtt {
class async_client;
}

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

class MqttIngest : public core::CommandSink {
 public:
  using FatalHandler = std::function<void(const std::string& why)>;

  /// `fatal` is called (from Paho's thread) when a message could not be stored; it must not return.
  MqttIngest(MqttOptions options, core::Fleet& fleet, core::Metrics& metrics, FatalHandler fatal);
  ~MqttIngest() override;

  /// Connects in the background; subscriptions are (re)made on every connection.
  void start();
  /// Disconnects after the message being processed, if any, is stored.
  void stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool connected() const { return connected_.load(); }
  std::uint64_t received() const { return received_.load(); }

  void publish(const std::string& topic, const std::string& payload) override;

 private:
  void on_connected();
  std::string filter(std::string_view channel) const;

  MqttOptions options_;
  core::Fleet& fleet_;
  core::Metrics& metrics_;
  FatalHandler fatal_;
  std::unique_ptr<mqtt::async_client> client_;
  std::jthread connector_;
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> received_{0};
};

/// Parses "host:port" style broker addresses into a Paho URL when no scheme is given.
std::string normalise_broker_url(const std::string& url);

}  // namespace sterifleet::ingest
