#include "config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace sterifleet::app {

namespace {

[[noreturn]] void fail(const toml::node* node, const std::string& message) {
  if (node && node->source().begin.line > 0) {
    const auto& where = node->source();
    throw std::runtime_error((where.path ? *where.path : std::string("config")) + ":" +
                             std::to_string(where.begin.line) + ": " + message);
  }
  throw std::runtime_error(message);
}

// Reads a key if present, with its type checked; `path` is "section.key" for messages.
template <class T>
void read(const toml::table& root, std::string_view path, T& out) {
  const toml::node* node = root.at_path(path).node();
  if (!node) return;
  if (const auto value = node->value<T>()) {
    out = *value;
  } else {
    fail(node, std::string(path) + " has the wrong type");
  }
}

template <class Duration>
void read_duration(const toml::table& root, std::string_view path, Duration& out) {
  std::int64_t count = out.count();
  read(root, path, count);
  if (count < 0) fail(root.at_path(path).node(), std::string(path) + " must not be negative");
  out = Duration{count};
}

constexpr std::string_view known_keys[] = {
    "mqtt.url",
    "mqtt.client_id",
    "mqtt.username",
    "mqtt.password",
    "mqtt.version",
    "mqtt.shared_group",
    "mqtt.keepalive_s",
    "mqtt.tls.ca_file",
    "mqtt.tls.cert_file",
    "mqtt.tls.key_file",
    "mqtt.tls.verify",
    "store.db",
    "store.synchronous",
    "store.receipts",
    "http.listen",
    "http.tls_cert",
    "http.tls_key",
    "http.dashboard_dir",
    "http.bootstrap_token",
    "engine.policy",
    "engine.max_clock_skew_s",
    "engine.retention_hours",
    "engine.tick_ms",
    "engine.snapshot_every",
    "engine.snapshot_minutes",
    "log.level",
    "log.format",
};

void check_known(const toml::table& table, const std::string& prefix) {
  for (const auto& [key, node] : table) {
    const std::string path = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const auto* sub = node.as_table()) {
      check_known(*sub, path);
      continue;
    }
    if (std::find(std::begin(known_keys), std::end(known_keys), path) == std::end(known_keys)) {
      fail(&node, "unknown key " + path);
    }
  }
}

// "mqtt.version=5" sets an integer, "mqtt.tls.verify=false" a boolean, anything else a string.
toml::table overrides_table(const std::vector<std::string>& overrides) {
  toml::table root;
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) throw std::runtime_error("--set expects section.key=value, got " + o);
    const std::string path = o.substr(0, eq);
    const std::string value = o.substr(eq + 1);
    toml::table* table = &root;
    std::size_t start = 0;
    for (std::size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', start)) {
      const std::string part = path.substr(start, dot - start);
      table = table->emplace(part, toml::table{}).first->second.as_table();
      if (!table) throw std::runtime_error("--set " + path + ": " + part + " is not a section");
      start = dot + 1;
    }
    const std::string key = path.substr(start);
    if (value == "true" || value == "false") {
      table->insert_or_assign(key, value == "true");
    } else if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos) {
      table->insert_or_assign(key, std::stoll(value));
    } else {
      table->insert_or_assign(key, value);
    }
  }
  return root;
}

void merge(toml::table& into, const toml::table& from) {
  for (const auto& [key, node] : from) {
    if (const auto* sub = node.as_table(); sub && into.contains(key) && into[key].is_table()) {
      merge(*into[key].as_table(), *sub);
    } else {
      into.insert_or_assign(key, node);
    }
  }
}

}  // namespace

Config load_config(const std::optional<std::string>& file, const std::vector<std::string>& overrides) {
  toml::table root;
  if (file) {
    try {
      root = toml::parse_file(*file);
    } catch (const toml::parse_error& e) {
      throw std::runtime_error(*file + ":" + std::to_string(e.source().begin.line) + ": " +
                               std::string(e.description()));
    }
  }
  merge(root, overrides_table(overrides));
  check_known(root, "");

  Config c;
  read(root, "mqtt.url", c.mqtt.url);
  read(root, "mqtt.client_id", c.mqtt.client_id);
  read(root, "mqtt.username", c.mqtt.username);
  read(root, "mqtt.password", c.mqtt.password);
  std::int64_t version = 4;
  read(root, "mqtt.version", version);
  if (version != 4 && version != 5) fail(root.at_path("mqtt.version").node(), "mqtt.version must be 4 (3.1.1) or 5");
  c.mqtt.version = static_cast<int>(version);
  read(root, "mqtt.shared_group", c.mqtt.shared_group);
  read_duration(root, "mqtt.keepalive_s", c.mqtt.keepalive);
  if (root.at_path("mqtt.tls").is_table()) {
    ingest::TlsOptions tls;
    read(root, "mqtt.tls.ca_file", tls.ca_file);
    read(root, "mqtt.tls.cert_file", tls.cert_file);
    read(root, "mqtt.tls.key_file", tls.key_file);
    read(root, "mqtt.tls.verify", tls.verify);
    c.mqtt.tls = tls;
  }
  read(root, "store.db", c.db);
  read(root, "store.synchronous", c.sqlite.synchronous);
  if (c.sqlite.synchronous != "NORMAL" && c.sqlite.synchronous != "FULL") {
    fail(root.at_path("store.synchronous").node(), "store.synchronous must be NORMAL or FULL");
  }
  read(root, "store.receipts", c.receipts);
  read(root, "http.listen", c.http.listen);
  read(root, "http.tls_cert", c.http.tls_cert);
  read(root, "http.tls_key", c.http.tls_key);
  read(root, "http.dashboard_dir", c.http.dashboard_dir);
  read(root, "http.bootstrap_token", c.http.bootstrap_token);
  read(root, "engine.policy", c.policy);
  read_duration(root, "engine.max_clock_skew_s", c.max_clock_skew);
  read_duration(root, "engine.retention_hours", c.retention);
  read_duration(root, "engine.tick_ms", c.tick);
  read(root, "engine.snapshot_every", c.snapshot_every);
  if (c.snapshot_every < 0)
    fail(root.at_path("engine.snapshot_every").node(), "engine.snapshot_every must not be negative");
  read_duration(root, "engine.snapshot_minutes", c.snapshot_interval);
  read(root, "log.level", c.log_level);
  read(root, "log.format", c.log_format);
  if (c.log_format != "text" && c.log_format != "json") {
    fail(root.at_path("log.format").node(), "log.format must be text or json");
  }
  return c;
}

}  // namespace sterifleet::app
