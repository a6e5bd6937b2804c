// A real Prometheus Alertmanager for integration tests: Debian's `prometheus-alertmanager` (0.25) with its
// config and storage in a temp dir, HTTP on a free loopback port, clustering off, polled until /-/ready
// answers 200, and killed at teardown. Its one route sends to a webhook the test may point at its own
// listener, with grouping and resolving short enough for a test to watch.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sterifleet/testing/http_get.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::testing {

struct AlertmanagerOptions {
  std::string binary = "prometheus-alertmanager";
  std::string webhook_url;  ///< where the default receiver posts (send_resolved); empty: nowhere
  /// Route settings (Alertmanager's defaults are 30s, 5m, 4h and 5m): short, so notifications come soon.
  std::chrono::milliseconds group_wait{100};
  std::chrono::milliseconds group_interval{1000};
  std::chrono::milliseconds repeat_interval{3'600'000};
  std::chrono::milliseconds resolve_timeout{10'000};  ///< for alerts posted without endsAt
  std::vector<std::string> group_by{"..."};           ///< "...": every label set its own group
  std::chrono::milliseconds ready_timeout{15'000};
};

/// Not thread-safe; start it from the test's main thread (see Subprocess).
class Alertmanager {
 public:
  /// Starts it and waits for /-/ready; throws std::runtime_error (with its log) if it is not ready in time.
  explicit Alertmanager(AlertmanagerOptions options = {});
  ~Alertmanager();
  Alertmanager(const Alertmanager&) = delete;
  Alertmanager& operator=(const Alertmanager&) = delete;

  int port() const { return port_; }
  /// The base URL an AlertmanagerReceiver takes, e.g. "http://127.0.0.1:40123".
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  HttpResponse get(const std::string& target) const;
  /// GET /api/v2/alerts (active, silenced, inhibited and unprocessed; not resolved ones), parsed; throws
  /// std::runtime_error unless it answers 200, nlohmann::json::parse_error unless with JSON.
  nlohmann::json alerts() const;
  std::string log() const;

 private:
  bool start();
  void write_config() const;

  AlertmanagerOptions options_;
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace sterifleet::testing
