// A real Mosquitto broker for integration tests: its own config file and persistence in a temp dir,
// listening on a free loopback port, started and polled until it accepts connections; stop, restart
// (same port, same persistence) and kill on destruction.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::testing {

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0 and read it back).
int free_port();
/// Polls until something accepts TCP connections on host:port.
bool wait_for_port(const std::string& host, int port, std::chrono::milliseconds timeout);

/// A TLS listener as deploy/mosquitto shows it for devices: a client certificate signed by `ca_file` is
/// required, and its common name is the account name (require_certificate, use_identity_as_username).
struct MosquittoTls {
  std::filesystem::path ca_file;
  std::filesystem::path cert_file;  ///< the broker's, naming 127.0.0.1
  std::filesystem::path key_file;
  std::filesystem::path crl_file;  ///< revoked client certificates; empty: none
};

struct MosquittoOptions {
  std::string binary = "mosquitto";
  bool persistence = true;
  bool allow_anonymous = true;            ///< false: give tls or a password_file (and an acl_file) in extra_config
  std::optional<MosquittoTls> tls;        ///< the listener speaks TLS only (url() is ssl://)
  std::vector<std::string> extra_config;  ///< more lines for mosquitto.conf
};

/// Not thread-safe.
class Mosquitto {
 public:
  /// Starts the broker; throws std::runtime_error if it does not accept connections within 10 s.
  explicit Mosquitto(MosquittoOptions options = {});
  ~Mosquitto();
  Mosquitto(const Mosquitto&) = delete;
  Mosquitto& operator=(const Mosquitto&) = delete;

  void start();
  /// SIGTERM and wait: Mosquitto writes its persistence file on the way out.
  void stop();
  /// SIGKILL: no goodbye.
  void kill();
  void restart() {
    stop();
    start();
  }
  bool running() const { return process_ != nullptr; }

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  std::string url() const { return (options_.tls ? "ssl://" : "tcp://") + host_ + ":" + std::to_string(port_); }
  const std::filesystem::path& directory() const { return dir_.path(); }
  std::string log() const;

 private:
  void write_config() const;

  MosquittoOptions options_;
  TempDir dir_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
  int starts_ = 0;
};

}  // namespace sterifleet::testing
