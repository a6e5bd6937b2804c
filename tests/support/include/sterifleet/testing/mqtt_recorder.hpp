// A Paho MQTT subscriber for integration tests: records every message on a topic filter with its
// arrival time, waits for conditions with a timeout, and publishes (e.g. commands).
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mqtt {
class async_client;
}

namespace sterifleet::testing {

struct Recorded {
  std::string topic;
  std::string payload;
  bool retained = false;
  std::chrono::steady_clock::time_point arrived;
};

/// A broker account (brokers with a password file and ACLs); empty: anonymous.
struct MqttLogin {
  std::string username;
  std::string password;
};

/// TLS for ssl:// URLs: the CA that signed the broker's certificate (checked, with its host name), and
/// the client certificate to present, when the broker asks for one.
struct MqttTls {
  std::filesystem::path ca_file;
  std::filesystem::path cert_file;
  std::filesystem::path key_file;
};

/// Thread-safe: Paho's thread appends, the test thread reads copies.
class MqttRecorder {
 public:
  /// Connects (clean session) and subscribes `filter` at QoS 1; throws on failure.
  MqttRecorder(const std::string& url, const std::string& filter, const std::string& client_id = "",
               const MqttLogin& login = {}, const MqttTls& tls = {});
  ~MqttRecorder();
  MqttRecorder(const MqttRecorder&) = delete;
  MqttRecorder& operator=(const MqttRecorder&) = delete;

  std::vector<Recorded> messages() const;
  std::size_t size() const;
  /// Waits until `done(messages)` holds; false on timeout.
  bool wait_for(const std::function<bool(const std::vector<Recorded>&)>& done, std::chrono::milliseconds timeout);
  /// Publishes at QoS 1 and waits for the acknowledgement.
  void publish(const std::string& topic, const std::string& payload, bool retained = false);

 private:
  std::unique_ptr<mqtt::async_client> client_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Recorded> messages_;
};

}  // namespace sterifleet::testing
