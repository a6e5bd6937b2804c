// The table of sterifleetd's configuration keys. A key is added here and nowhere else: loading, --help
// and deploy/sterifleetd.toml (tests/app/config_test.cpp holds the file equal to this table) follow.
#include <concepts>
#include <limits>
#include <optional>
#include <ratio>

#include "config.hpp"

namespace sterifleet::app {

namespace {

using Value = ConfigKey::Value;

template <class T>
struct is_duration : std::false_type {};
template <class Rep, class Period>
struct is_duration<std::chrono::duration<Rep, Period>> : std::true_type {};

template <class Period>
constexpr std::string_view unit_name() {
  if constexpr (std::is_same_v<Period, std::milli>) {
    return "milliseconds";
  } else if constexpr (std::is_same_v<Period, std::ratio<1>>) {
    return "seconds";
  } else if constexpr (std::is_same_v<Period, std::ratio<60>>) {
    return "minutes";
  } else {
    static_assert(std::is_same_v<Period, std::ratio<3600>>, "a unit the key's name can say");
    return "hours";
  }
}

// The largest value of T that an int64 (TOML's integer) holds.
template <class T>
constexpr std::int64_t max_of() {
  if constexpr (std::numeric_limits<T>::digits >= std::numeric_limits<std::int64_t>::digits) {
    return std::numeric_limits<std::int64_t>::max();
  } else {
    return static_cast<std::int64_t>(std::numeric_limits<T>::max());
  }
}

struct Allowed {
  std::vector<Value> choices{};
  std::int64_t min = 0;               ///< every integer key so far is a count or a duration
  std::optional<std::int64_t> max{};  ///< unset: the largest the field's type holds
};

Allowed one_of(std::initializer_list<const char*> words) {
  Allowed allowed;
  for (const char* word : words) allowed.choices.emplace_back(std::string(word));
  return allowed;
}

// `read` gives the field's value from a const Config, `write` a reference to it in a Config; the field's
// C++ type makes the key's type (a std::chrono duration is an integer count of its unit).
template <class Read, class Write>
ConfigKey typed_key(std::string_view name, std::string_view help, Read read, Write write, Allowed allowed) {
  using T = std::remove_cvref_t<decltype(write(std::declval<Config&>()))>;
  ConfigKey key{.name = name, .type = ConfigKey::Type::string, .help = help, .choices = std::move(allowed.choices)};
  if constexpr (std::is_same_v<T, std::string>) {
    key.get = [read](const Config& c) { return Value(std::string(read(c))); };
    key.set = [write](Config& c, const Value& v) { write(c) = std::get<std::string>(v); };
  } else if constexpr (std::is_same_v<T, bool>) {
    key.type = ConfigKey::Type::boolean;
    key.get = [read](const Config& c) { return Value(read(c)); };
    key.set = [write](Config& c, const Value& v) { write(c) = std::get<bool>(v); };
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    key.type = ConfigKey::Type::string_list;
    key.get = [read](const Config& c) { return Value(read(c)); };
    key.set = [write](Config& c, const Value& v) { write(c) = std::get<T>(v); };
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::int64_t>>) {
    key.type = ConfigKey::Type::integer_table;
    key.min = allowed.min;
    key.max = allowed.max.value_or(max_of<std::int64_t>());
    key.get = [read](const Config& c) { return Value(read(c)); };
    key.set = [write](Config& c, const Value& v) { write(c) = std::get<T>(v); };
  } else if constexpr (is_duration<T>::value) {
    using Rep = typename T::rep;
    key.type = ConfigKey::Type::integer;
    key.unit = unit_name<typename T::period>();
    key.min = allowed.min;
    key.max = allowed.max.value_or(max_of<Rep>());
    key.get = [read](const Config& c) { return Value(static_cast<std::int64_t>(read(c).count())); };
    key.set = [write](Config& c, const Value& v) { write(c) = T{static_cast<Rep>(std::get<std::int64_t>(v))}; };
  } else {
    static_assert(std::integral<T>, "a configuration key is a string, a boolean, an integer or a duration");
    key.type = ConfigKey::Type::integer;
    key.min = allowed.min;
    key.max = allowed.max.value_or(max_of<T>());
    key.get = [read](const Config& c) { return Value(static_cast<std::int64_t>(read(c))); };
    key.set = [write](Config& c, const Value& v) { write(c) = static_cast<T>(std::get<std::int64_t>(v)); };
  }
  return key;
}

// `members` lead from a Config to the field: &Config::mqtt, &ingest::MqttOptions::url.
template <class... Members>
ConfigKey key(std::string_view name, std::string_view help, Allowed allowed, Members... members) {
  return typed_key(
      name, help, [members...](const Config& c) { return (c.*....*members); },
      [members...](Config & c) -> auto& { return (c.*....*members); }, std::move(allowed));
}

template <class... Members>
ConfigKey key(std::string_view name, std::string_view help, Members... members) {
  return key(name, help, Allowed{}, members...);
}

// A key of [mqtt.tls]: reads the defaults of ingest::TlsOptions while TLS is off; setting one turns it on.
template <class T>
ConfigKey tls_key(std::string_view name, std::string_view help, T ingest::TlsOptions::*member) {
  return typed_key(
      name, help, [member](const Config& c) { return c.mqtt.tls.value_or(ingest::TlsOptions{}).*member; },
      [member](Config & c) -> auto& { return (c.mqtt.tls ? *c.mqtt.tls : c.mqtt.tls.emplace()).*member; }, {});
}

// A key of [cluster]: reads the defaults of ClusterConfig while the table is absent; setting one adds it.
template <class T>
ConfigKey cluster_key(std::string_view name, std::string_view help, T ClusterConfig::*member, Allowed allowed = {}) {
  return typed_key(
      name, help, [member](const Config& c) { return c.cluster.value_or(ClusterConfig{}).*member; },
      [member](Config & c) -> auto& { return (c.cluster ? *c.cluster : c.cluster.emplace()).*member; },
      std::move(allowed));
}

std::vector<ConfigKey> make_keys() {
  return {
      key("mqtt.url", "The broker: tcp://, ssl:// (TLS), ws://, wss://.", &Config::mqtt, &ingest::MqttOptions::url),
      key("mqtt.client_id", "The persistent session is kept under this id: keep it stable.", &Config::mqtt,
          &ingest::MqttOptions::client_id),
      key("mqtt.username", "The broker account of the daemon (deploy/mosquitto/acl: sterifleetd).", &Config::mqtt,
          &ingest::MqttOptions::username),
      key("mqtt.password", "The password of that account.", &Config::mqtt, &ingest::MqttOptions::password),
      key("mqtt.version", "The protocol: 4 is MQTT 3.1.1, 5 is MQTT 5.",
          Allowed{.choices = {std::int64_t{4}, std::int64_t{5}}}, &Config::mqtt, &ingest::MqttOptions::version),
      key("mqtt.keepalive_s", "Seconds between pings to the broker while nothing else is sent.", &Config::mqtt,
          &ingest::MqttOptions::keepalive),

      tls_key("mqtt.tls.ca_file", "Trust store (PEM); empty: the system's. Example: \"/etc/sterifleet/ca.pem\".",
              &ingest::TlsOptions::ca_file),
      tls_key("mqtt.tls.cert_file",
              "Client certificate (PEM), if the broker wants one. Example: \"/etc/sterifleet/daemon.pem\".",
              &ingest::TlsOptions::cert_file),
      tls_key("mqtt.tls.key_file", "Its private key (PEM). Example: \"/etc/sterifleet/daemon.key\".",
              &ingest::TlsOptions::key_file),
      tls_key("mqtt.tls.verify", "Check the broker's certificate and host name.", &ingest::TlsOptions::verify),

      key("store.url",
          "Empty: the store is the SQLite file store.db. \"postgresql://...\" (a libpq URI, example: "
          "\"postgresql://sterifleet@db.clinic.example/sterifleet\"): PostgreSQL, which the daemons of a [cluster] "
          "share; keep its password in ~/.pgpass or PGPASSFILE rather than here.",
          &Config::store_url),
      key("store.db", "The SQLite database. Example for systemd: \"/var/lib/sterifleet/sterifleet.db\".", &Config::db),
      key("store.synchronous",
          "NORMAL survives a killed process (what the crash tests check); FULL also survives power loss, at a "
          "cost per message.",
          one_of({"NORMAL", "FULL"}), &Config::sqlite, &store::SqliteOptions::synchronous),
      key("store.receipts",
          "A received message is appended to this folder before the broker gets its acknowledgement, and the "
          "store then takes messages in groups (one transaction each); a start re-runs what the store lacks. "
          "FULL above also syncs each receipt to disk. Empty: \"<db>-receipts\" next to the database.",
          &Config::receipts),

      cluster_key("cluster.daemon_id",
                  "The name this daemon holds its shards' leases under: a different one for every daemon of the "
                  "cluster, 1 to 128 of A-Z a-z 0-9 _ . -. Empty: \"<host name>-<process id>\".",
                  &ClusterConfig::daemon_id),
      cluster_key("cluster.shards",
                  "The virtual shards the clinics are spread over, each owned by one daemon at a time. Every "
                  "daemon of the cluster must say the same; changing it moves clinics between shards.",
                  &ClusterConfig::shards, Allowed{.min = 1, .max = cluster::max_shards}),
      cluster_key("cluster.pins",
                  "Clinics kept on a chosen shard instead of their hashed one, example: { north = 3, south = 3 }.",
                  &ClusterConfig::pins, Allowed{.min = 0, .max = cluster::max_shards - 1}),
      cluster_key("cluster.clinics",
                  "Clinics registered in the store at start, each on its shard, example: [\"north\", \"south\"].",
                  &ClusterConfig::clinics),
      cluster_key("cluster.lease_ttl_s",
                  "A shard's lease lasts this long after each renewal, by PostgreSQL's clock: after a daemon "
                  "stops, its shards wait this long for another (less when its session to PostgreSQL is gone).",
                  &ClusterConfig::lease_ttl, Allowed{.min = 1}),
      cluster_key("cluster.renew_interval_s", "How often a daemon renews the leases of its shards.",
                  &ClusterConfig::renew_interval, Allowed{.min = 1}),
      cluster_key("cluster.lease_margin_s",
                  "A daemon stops working on a shard this long before its lease would end, counted from when "
                  "the last renewal was sent; must leave room for a renewal: renew_interval_s < lease_ttl_s - "
                  "lease_margin_s.",
                  &ClusterConfig::lease_margin, Allowed{.min = 1}),

      key("http.listen", "ADDR:PORT of the API, dashboard, health and metrics; port 0 picks a free one.", &Config::http,
          &http::HttpOptions::listen),
      key("http.tls_cert", "PEM certificate chain; with tls_key, the API and dashboard speak HTTPS only.",
          &Config::http, &http::HttpOptions::tls_cert),
      key("http.tls_key", "The certificate's private key (PEM).", &Config::http, &http::HttpOptions::tls_key),
      key("http.dashboard_dir",
          "The built dashboard (dashboards/web/dist), served at /; \"auto\": the one installed with the daemon "
          "(<prefix>/share/sterifleet/dashboard beside <prefix>/bin/sterifleetd), if there; empty: not served.",
          &Config::http, &http::HttpOptions::dashboard_dir),
      key("http.max_connections",
          "Open connections, event streams included. Beyond it (and the next two limits) a connection may ask "
          "/healthz and /readyz only; anything else is answered 503 (429 for the per-client and per-token limits) "
          "with Retry-After.",
          Allowed{.min = 1}, &Config::http, &http::HttpOptions::max_connections),
      key("http.max_connections_per_client", "Open connections from one client address.", Allowed{.min = 1},
          &Config::http, &http::HttpOptions::max_connections_per_client),
      key("http.max_connections_per_token", "Open connections on which one token made requests.", Allowed{.min = 1},
          &Config::http, &http::HttpOptions::max_connections_per_token),
      key("http.max_streams", "Open live event streams (each open dashboard holds one).", Allowed{.min = 1},
          &Config::http, &http::HttpOptions::max_streams),
      key("http.max_streams_per_token", "Open live event streams of one token.", Allowed{.min = 1}, &Config::http,
          &http::HttpOptions::max_streams_per_token),
      key("http.upload_limit",
          "Bytes of a report sent to be verified (POST /api/v1/reports/verify, the dashboard's drop zone); "
          "`sterifleet report verify` on the daemon's host checks one of any size.",
          Allowed{.min = 1}, &Config::http, &http::HttpOptions::upload_limit),
      key("http.idle_timeout_s", "A connection that sends no request this long (new or kept alive) is closed.",
          Allowed{.min = 1}, &Config::http, &http::HttpOptions::idle_timeout),
      key("http.header_timeout_s", "Time from a request's first byte to the end of its header.", Allowed{.min = 1},
          &Config::http, &http::HttpOptions::header_timeout),
      key("http.read_timeout_s", "Time to receive a request's body.", Allowed{.min = 1}, &Config::http,
          &http::HttpOptions::read_timeout),
      key("http.write_timeout_s", "A client that takes longer to read an answer (or an event) is disconnected.",
          Allowed{.min = 1}, &Config::http, &http::HttpOptions::write_timeout),
      key("http.bootstrap_token",
          "An admin token for the first start (24 characters or more), accepted until tokens exist; empty: "
          "STERIFLEET_BOOTSTRAP_TOKEN from the environment.",
          &Config::http, &http::HttpOptions::bootstrap_token),

      key("engine.policy", "Policy file (TOML); empty: the built-in policy (CDC 2008 defaults).", &Config::policy),
      key("engine.max_clock_skew_s", "Device timestamps further ahead of this clock are rejected.", &Config::fleet,
          &fleet::FleetOptions::max_clock_skew),
      key("engine.retention_hours", "History the engine keeps in memory; the store keeps everything.", &Config::fleet,
          &fleet::FleetOptions::retention),
      key("engine.tick_ms", "How often offline detection runs.", Allowed{.min = 1}, &Config::tick),
      key("engine.snapshot_every",
          "A snapshot after this many journal entries (messages, quarantined payloads, actions); 0: not by count.",
          &Config::fleet, &fleet::FleetOptions::snapshot_every),
      key("engine.snapshot_minutes", "A snapshot this many minutes after the last one; 0: not by time.", &Config::fleet,
          &fleet::FleetOptions::snapshot_interval),

      key("audit.signing_key",
          "The Ed25519 key (PEM) that signs the audit checkpoints, made 0600 on the first start, its public key "
          "beside it as <key>.pub for auditors to pin. Keep it out of the store's backups. Empty: "
          "\"<db>-audit.key\" next to the database.",
          &Config::audit, &AuditCheckpointConfig::signing_key),
      key("audit.checkpoints",
          "Every checkpoint signed is appended to this file (one JSON line each); copy it off the host. Empty: "
          "\"<db>-checkpoints.jsonl\" next to the database.",
          &Config::audit, &AuditCheckpointConfig::checkpoints),
      key("audit.checkpoint_interval_s",
          "A checkpoint this often while the audit trail grows; one is also signed at start, at stop and for "
          "every report.",
          Allowed{.min = 1}, &Config::audit, &AuditCheckpointConfig::interval),
      key("audit.anchor_interval_s",
          "A cluster's shard anchors the audit chains of its clinics that moved into the fleet chain this often, "
          "so that checkpoints cover them (a single daemon keeps one chain).",
          Allowed{.min = 1}, &Config::fleet, &fleet::FleetOptions::audit_anchor_interval),
      key("audit.checkpoint_receivers",
          "Webhook or email receivers of [notify] that checkpoints are also sent to, once each, comma-separated "
          "(example: \"auditor-mail\"): those of the timer, start and stop, and of reports at most one a minute "
          "(each report carries its own); empty: none.",
          &Config::audit, &AuditCheckpointConfig::receivers),

      key("log.level", "The least severe events logged.",
          one_of({"trace", "debug", "info", "warn", "error", "critical", "off"}), &Config::log_level),
      key("log.format", "json writes one JSON object a line, for log collectors.", one_of({"text", "json"}),
          &Config::log_format),
  };
}

}  // namespace

const std::vector<ConfigSection>& config_sections() {
  static const std::vector<ConfigSection> sections{
      {.name = "mqtt"},
      {.name = "mqtt.tls",
       .note = "TLS to the broker: present this table to turn it on (mqtt.url must then be ssl:// or wss://).",
       .turn_on =
           [](Config& c) {
             if (!c.mqtt.tls) c.mqtt.tls.emplace();
           }},
      {.name = "store"},
      {.name = "cluster",
       .note = "Several daemons sharing the fleet by clinic (daemon/README.md): present this table to turn it on. It "
               "needs a PostgreSQL store.url, and every daemon of the cluster the same shards and pins.",
       .turn_on =
           [](Config& c) {
             if (!c.cluster) c.cluster.emplace();
           }},
      {.name = "http"},
      {.name = "engine",
       .note = "A restart rebuilds the engine from its newest snapshot in the store plus the journal after it. "
               "Snapshots are written by count or by time, whichever comes first, and on a clean stop. Fewer "
               "entries between snapshots: a faster restart, more snapshot writes (each pauses ingestion "
               "briefly; bench/restart_bench measures both)."},
      {.name = "audit",
       .note = "Signed checkpoints of the audit chain (sequence, head hash, time), kept outside the store: in the "
               "checkpoints file, retained on the broker at sterifleet/v1/_fleet/audit/checkpoint and in every "
               "report. `sterifleet audit verify --checkpoint` proves a store still holds their history."},
      {.name = "log"},
  };
  return sections;
}

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = make_keys();
  return keys;
}

const RetiredConfigKey* find_retired_config_key(std::string_view name) {
  static const std::vector<RetiredConfigKey> retired{
      {.name = "mqtt.shared_group",
       .why = "mqtt.shared_group is refused: Mosquitto hands the messages of a shared subscription ($share/...) to "
              "the group's members in rotation, message by message, so one pen's messages would be judged by "
              "several daemons, each with its own state, and rules that follow a device (reprocessing between "
              "sessions, cartridge reuse) would miss violations. To share the fleet between daemons, give each a "
              "[cluster] table and a PostgreSQL store.url (daemon/README.md): a clinic's messages then reach one "
              "daemon only."},
  };
  for (const auto& key : retired) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

const ConfigKey* find_config_key(std::string_view name) {
  for (const auto& k : config_keys()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

}  // namespace sterifleet::app
