// sterifleetd's configuration: a TOML file (deploy/sterifleetd.toml documents every key), built-in
// defaults for every key, and command-line overrides (named flags and --set section.key=value).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "sterifleet/ingest/mqtt_ingest.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::app {

struct HttpConfig {
  std::string listen = "127.0.0.1:8080";
  std::string tls_cert;  ///< PEM; both set: HTTPS
  std::string tls_key;
  std::string dashboard_dir;    ///< built dashboard (dashboards/web/dist); empty: not served
  std::string bootstrap_token;  ///< admin token accepted until tokens exist (or STERIFLEET_BOOTSTRAP_TOKEN)
};

struct Config {
  ingest::MqttOptions mqtt;
  std::string db = "sterifleet.db";
  std::string receipts;  ///< the ingest's receipt log folder; empty: "<db>-receipts"
  store::SqliteOptions sqlite;
  HttpConfig http;
  std::string policy;  ///< policy file; empty: the built-in policy
  std::chrono::seconds max_clock_skew{300};
  std::chrono::hours retention{24 * 7};
  std::chrono::milliseconds tick{1000};
  std::int64_t snapshot_every = 1'000'000;     ///< journal entries between engine snapshots; 0: not by count
  std::chrono::minutes snapshot_interval{60};  ///< time between engine snapshots; 0: not by time
  std::string log_level = "info";
  std::string log_format = "text";  ///< text or json
};

/// Applies `overrides` ("section.key=value") over the file (if any) over the defaults.
/// Throws std::runtime_error naming the file, line and key of the first problem.
Config load_config(const std::optional<std::string>& file, const std::vector<std::string>& overrides);

}  // namespace sterifleet::app
