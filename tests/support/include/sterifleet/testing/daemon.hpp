// The real sterifleetd for integration tests: a TOML configuration and the SQLite store in a temp dir,
// HTTP on a free loopback port, started and polled until /readyz answers 200 (state restored and broker
// connected); stopped in order (SIGTERM) or killed (SIGKILL), and started again on the same store.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sterifleet/testing/http_get.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::testing {

/// The API over HTTPS ([http] tls_cert, tls_key); the fixture's own requests trust `ca_file` only.
struct DaemonHttps {
  std::filesystem::path cert_file;  ///< naming 127.0.0.1
  std::filesystem::path key_file;
  std::filesystem::path ca_file;
};

struct DaemonOptions {
  DaemonOptions(std::filesystem::path binary_path, std::string broker_url,
                std::map<std::string, std::string> more_settings = {})
      : binary(std::move(binary_path)), mqtt_url(std::move(broker_url)), settings(std::move(more_settings)) {}

  std::filesystem::path binary;  ///< the sterifleetd executable
  std::string mqtt_url;          ///< e.g. Mosquitto::url()
  /// More configuration, "section.key" -> the value as TOML writes it (strings quoted: "\"x\""); it
  /// overrides the fixture's own keys (mqtt.url, store.db, http.listen, http.bootstrap_token, log.level).
  std::map<std::string, std::string> settings;
  /// TOML appended to the file as it is, for what keys cannot say (arrays of tables: [[notify.route]]).
  std::string extra_toml;
  std::string token = "test-bootstrap-token-0123";  ///< http.bootstrap_token: an admin token for the API
  std::optional<DaemonHttps> https;                 ///< empty: plain HTTP
  std::chrono::milliseconds ready_timeout{30'000};
};

/// Not thread-safe; start it from the test's main thread (see Subprocess).
class Daemon {
 public:
  /// Starts the daemon and waits until it is ready; throws std::runtime_error (with its log) otherwise.
  explicit Daemon(DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Starts (same port and store as before when possible) and waits for /readyz; throws if it is not ready.
  void start();
  /// Starts without waiting for readiness: to catch it while it restores its state or connects.
  void spawn();
  /// SIGTERM and wait: the exit status, or empty when it did not stop in time (it is killed then).
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds{30});
  /// SIGKILL: no goodbye, nothing flushed.
  void kill();
  /// Sends `sig` to the running daemon, e.g. SIGSTOP and SIGCONT to pause it as a stalled machine would.
  void signal(int sig);
  bool running() const { return process_ != nullptr && process_->running(); }

  /// Polls /readyz until it answers 200 (true) or `timeout` passes or the process ends (false).
  bool wait_ready(std::chrono::milliseconds timeout);
  /// Polls /readyz until it answers anything but 200 (true) or `timeout` passes (false).
  bool wait_not_ready(std::chrono::milliseconds timeout);

  /// GET with the bootstrap token (HTTPS when configured so).
  HttpResponse get(const std::string& target) const;
  /// GET with the bootstrap token, parsed; throws std::runtime_error unless the answer is 200 and JSON.
  nlohmann::json get_json(const std::string& target) const;
  /// Every item of a paginated listing (`path` may carry a query), following "next" to the end.
  std::vector<nlohmann::json> all_items(const std::string& path) const;
  /// The Prometheus text of /metrics.
  std::string metrics() const;

  int port() const { return port_; }
  const std::string& token() const { return options_.token; }
  std::filesystem::path db() const { return dir_.path() / "sterifleet.db"; }
  const std::filesystem::path& directory() const { return dir_.path(); }
  /// Everything every run of it wrote to stdout and stderr.
  std::string log() const;

 private:
  void write_config() const;
  bool launch();  ///< false when the HTTP port was taken
  std::filesystem::path current_log() const;
  HttpResponse request(const std::string& target, const std::string& token, std::chrono::milliseconds timeout) const;

  DaemonOptions options_;
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
  int starts_ = 0;
};

/// The value of a Prometheus sample, e.g. metric_value(text, "sterifleet_messages_quarantined_total",
/// "reason=\"malformed_json\""); 0 when absent. `labels` must match the sample's label text exactly.
double metric_value(const std::string& metrics_text, const std::string& name, const std::string& labels = {});

}  // namespace sterifleet::testing
