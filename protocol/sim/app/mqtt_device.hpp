// One simulated device's MQTT connection: a Paho async client with client id = device id, a
// persistent session, the offline status as last will, and a QoS 1 subscription to its cmd topic.
// Every outcome is reported through the Inbox; nothing here blocks.
#pragma once

#include <mqtt/async_client.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "inbox.hpp"

namespace sterifleet::sim {

struct MqttSettings {
  std::string broker = "tcp://localhost:1883";
  std::string username;
  std::string password;
  std::string cafile;
  std::string cert;
  std::string key;
  std::string cert_dir;  ///< non-empty: each device presents <cert_dir>/<device>.pem and .key instead of cert, key
  int max_inflight = 64;
};

/// The settings one device connects with: its own certificate and key when there is a cert_dir;
/// throws std::runtime_error when either file is missing (a fleet misconfigured, not a network error).
MqttSettings device_settings(const MqttSettings& settings, const std::string& device);

/// Connect options shared by device and flood clients: credentials and TLS.
mqtt::connect_options base_connect_options(const MqttSettings& settings);

/// Not thread-safe: the driver thread calls it; Paho threads only post to the inbox.
class MqttDevice {
 public:
  MqttDevice(const MqttSettings& settings, std::string client_id, std::string cmd_topic, std::size_t index,
             Inbox& inbox);
  ~MqttDevice();
  MqttDevice(const MqttDevice&) = delete;
  MqttDevice& operator=(const MqttDevice&) = delete;

  /// Reports connected (after subscribing when the broker kept no session) or connect_failed.
  void connect(const std::string& will_topic, const std::string& will_payload);
  /// Reports acked or publish_failed with `ticket`; throws mqtt::exception when Paho refuses it outright.
  void publish(std::uint64_t ticket, const std::string& topic, const std::string& payload, int qos, bool retained);
  /// Reports disconnected.
  void disconnect();
  /// Best effort, bounded wait: for the end of the process.
  void close_now();

 private:
  class Listener;

  MqttSettings settings_;
  std::string cmd_topic_;
  std::size_t index_;
  Inbox& inbox_;
  std::unique_ptr<Listener> connect_listener_;
  std::unique_ptr<Listener> subscribe_listener_;
  std::unique_ptr<Listener> publish_listener_;
  std::unique_ptr<Listener> disconnect_listener_;
  std::atomic<bool> lost_{false};
  // Declared last so it is destroyed first: its destructor fails the operations still pending (e.g.
  // publishes buffered while the broker was away) through the listeners above, which must still exist.
  mqtt::async_client client_;
};

}  // namespace sterifleet::sim
