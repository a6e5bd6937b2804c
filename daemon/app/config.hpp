// sterifleetd's configuration: a TOML file, command-line overrides (--set section.key=value) and the
// built-in defaults. One table (config_keys()) declares every key; loading, --help and the documented
// example file (deploy/sterifleetd.toml, see example_config()) all come from it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sterifleet/cluster/shard_map.hpp"
#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/http/api.hpp"
#include "sterifleet/ingest/mqtt_ingest.hpp"
#include "sterifleet/notify/routes.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::app {

/// [audit]: the signed checkpoints of the audit chain (checkpoint_signer.hpp).
struct AuditCheckpointConfig {
  std::string signing_key;  ///< empty: "<db>-audit.key"
  std::string checkpoints;  ///< empty: "<db>-checkpoints.jsonl"
  std::chrono::seconds interval{900};
  std::string receivers;  ///< [notify] receivers (webhook or email), comma-separated; empty: none
};

/// [cluster]: several daemons sharing the fleet by clinic on one PostgreSQL store (daemon/README.md).
/// Present only when the file has the table or a --set names one of its keys; it needs a PostgreSQL
/// store.url. Every daemon of a cluster must be given the same shards and pins.
struct ClusterConfig {
  std::string daemon_id;  ///< the name leases are held under; empty in a file: load_config gives "<host>-<pid>"
  int shards = cluster::default_shards;
  std::map<std::string, std::int64_t> pins;  ///< clinic -> shard, instead of the clinic's hashed shard
  std::vector<std::string> clinics;          ///< clinics registered at start (more register as they appear)
  std::chrono::seconds lease_ttl{10};
  std::chrono::seconds renew_interval{2};
  std::chrono::seconds lease_margin{2};

  /// Throws std::invalid_argument as cluster::ShardMap does.
  cluster::ShardMap shard_map() const;
};

/// http.dashboard_dir's default: the dashboard installed with the daemon (<prefix>/share/sterifleet/dashboard,
/// found from the daemon's own path), if it is there.
inline constexpr std::string_view installed_dashboard = "auto";

/// Each default is the one of the part it configures (ingest::MqttOptions, store::SqliteOptions,
/// http::HttpOptions, fleet::FleetOptions) or, for what only the daemon knows, written here: the key
/// table reads the defaults it shows from a default-constructed Config.
struct Config {
  ingest::MqttOptions mqtt;
  std::string db = "sterifleet.db";
  std::string store_url;  ///< empty: SQLite in `db`; "postgresql://...": PostgreSQL
  std::string receipts;   ///< the ingest's receipt log folder; empty: "<db>-receipts"
  store::SqliteOptions sqlite;
  http::HttpOptions http = [] {
    http::HttpOptions options;
    options.dashboard_dir = installed_dashboard;
    return options;
  }();
  std::string policy;  ///< policy file; empty: the built-in policy
  fleet::FleetOptions fleet;
  std::chrono::milliseconds tick{1000};
  std::string log_level = "info";
  std::string log_format = "text";  ///< text or json
  notify::NotifyConfig notify;      ///< [notify] (notify_config.hpp); no receivers: nothing is delivered
  AuditCheckpointConfig audit;
  std::optional<ClusterConfig> cluster;  ///< absent: this daemon owns the whole fleet
};

/// One configuration key: what --help and the example file say of it, which values it takes and where
/// it goes in a Config.
struct ConfigKey {
  enum class Type { string, integer, boolean, string_list, integer_table };
  using Value =
      std::variant<std::string, std::int64_t, bool, std::vector<std::string>, std::map<std::string, std::int64_t>>;

  std::string_view name{};  ///< "section.key"
  Type type = Type::string;
  std::string_view unit{};  ///< of an integer that is a duration ("seconds"); empty otherwise
  std::string_view help{};
  std::vector<Value> choices{};  ///< the only values allowed; empty: any of the type within min..max
  std::int64_t min = 0;          ///< of an integer, or of each integer of a table
  std::int64_t max = 0;
  std::function<Value(const Config&)> get{};
  std::function<void(Config&, const Value&)> set{};

  std::string_view section() const { return name.substr(0, name.rfind('.')); }
  std::string_view key() const { return name.substr(name.rfind('.') + 1); }
};

/// A TOML table of the file. An optional one (mqtt.tls) is written commented out in the example; its
/// presence in a file, even empty, turns its feature on (so does setting any of its keys).
struct ConfigSection {
  std::string_view name{};
  std::string_view note{};             ///< printed above the table in the example file
  void (*turn_on)(Config&) = nullptr;  ///< set for an optional table

  bool optional() const { return turn_on != nullptr; }
};

/// A key the daemon no longer takes, refused with why and what to use instead: ignoring it would run a
/// configuration that does not do what its file says.
struct RetiredConfigKey {
  std::string_view name{};
  std::string_view why{};  ///< the whole error message
};

/// Every key, grouped by section in the order of config_sections().
const std::vector<ConfigKey>& config_keys();
const std::vector<ConfigSection>& config_sections();

/// The key named `name`, or nullptr.
const ConfigKey* find_config_key(std::string_view name);

/// The retired key named `name`, or nullptr.
const RetiredConfigKey* find_retired_config_key(std::string_view name);

/// `value` as TOML writes it ("text" quoted, 42, true, ["a", "b"], { a = 1 }).
std::string to_toml(const ConfigKey::Value& value);

/// Applies `overrides` ("section.key=value") over the file (if any) over the defaults. Throws
/// std::runtime_error naming the file and line, or the --set argument, and the key of the first problem;
/// then checks what one key cannot (a [cluster] needs a PostgreSQL store.url, renewals before the lease
/// ends, pins within the shards) and throws naming the keys. A list is written "a,b" in --set, a table
/// "north=3,south=4".
Config load_config(const std::optional<std::string>& file, const std::vector<std::string>& overrides);

/// For `sterifleetd --help`: every key with its type, default and help.
std::string config_help();

/// The documented configuration file, every key at its default (deploy/sterifleetd.toml is this text).
/// The keys of an optional section are commented out as "#key = value", prose as "# text".
std::string example_config();

}  // namespace sterifleet::app
