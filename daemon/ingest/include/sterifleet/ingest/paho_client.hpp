// The broker connection on Eclipse Paho MQTT C++ (async client): a persistent session, QoS 1, TLS,
// MQTT 3.1.1 or 5. Reconnection is the caller's (Reconnector): Paho's own is off.
#pragma once

#include <memory>

#include "sterifleet/ingest/broker_client.hpp"
#include "sterifleet/ingest/mqtt_options.hpp"

namespace sterifleet::ingest {

class PahoClient final : public BrokerClient {
 public:
  /// Throws BrokerError when Paho refuses the options (an unknown URL scheme, say).
  explicit PahoClient(MqttOptions options);
  ~PahoClient() override;
  PahoClient(const PahoClient&) = delete;
  PahoClient& operator=(const PahoClient&) = delete;

  void set_handlers(Handlers handlers) override;
  void connect(ConnectDone done) override;
  void subscribe(const std::vector<std::string>& filters, Subscribed done) override;
  void publish(const std::string& topic, const std::string& payload, Retain retain) override;
  void disconnect(std::chrono::milliseconds timeout) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sterifleet::ingest
