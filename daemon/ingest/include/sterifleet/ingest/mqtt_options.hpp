// How the daemon reaches the broker: address, identity, session and TLS, as the configuration gives them.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace sterifleet::ingest {

struct TlsOptions {
  std::string ca_file;    ///< trust store (PEM); empty: the system's
  std::string cert_file;  ///< client certificate (PEM), for brokers that authenticate by certificate
  std::string key_file;
  bool verify = true;
};

struct MqttOptions {
  std::string url = "tcp://localhost:1883";  ///< tcp://, ssl://, ws://, wss://; "host:port" means tcp://
  std::string client_id = "sterifleetd";
  std::string username;
  std::string password;
  int version = 4;  ///< 4: MQTT 3.1.1; 5: MQTT 5
  std::chrono::seconds keepalive{30};
  std::chrono::seconds session_expiry{7 * 24 * 3600};  ///< MQTT 5 only; 3.1.1 sessions never expire
  std::optional<TlsOptions> tls;
};

}  // namespace sterifleet::ingest
