#include "cluster_config.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "store_url.hpp"

namespace sterifleet::app {

namespace {

void check_store_url(const std::string& url) {
  if (url.empty()) return;
  // The URL is not repeated: whatever it is, it may hold a password.
  if (!is_postgresql_url(url)) {
    throw std::runtime_error(
        "store.url must be empty (the SQLite file store.db) or a PostgreSQL URI starting with postgresql://");
  }
  char* error = nullptr;
  const std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfoParse(url.c_str(), &error),
                                                                             &PQconninfoFree);
  if (!options) {
    const std::string message = error ? error : "out of memory";
    PQfreemem(error);
    throw std::runtime_error("store.url is not a URI libpq accepts: " + masked(message, url));
  }
}

std::string host_and_pid() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return std::string(host.data()) + "-" + std::to_string(getpid());
}

bool valid_daemon_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (const char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

void check_cluster(const Config& config) {
  const auto& cluster = *config.cluster;
  if (config.store_url.empty()) {
    throw std::runtime_error(
        "[cluster] needs a PostgreSQL store.url: the daemons of a cluster share one store and hold their shards' "
        "leases in it, and the SQLite file store.db belongs to one process");
  }
  if (!valid_daemon_id(cluster.daemon_id)) {
    throw std::runtime_error("cluster.daemon_id must be 1 to 128 of A-Z a-z 0-9 _ . - (got \"" + cluster.daemon_id +
                             "\")");
  }
  if (cluster.renew_interval >= cluster.lease_ttl - cluster.lease_margin) {
    throw std::runtime_error(
        "cluster.renew_interval_s (" + std::to_string(cluster.renew_interval.count()) +
        ") must be less than cluster.lease_ttl_s - cluster.lease_margin_s (" +
        std::to_string(cluster.lease_ttl.count()) + " - " + std::to_string(cluster.lease_margin.count()) + " = " +
        std::to_string((cluster.lease_ttl - cluster.lease_margin).count()) +
        "): a daemon stops working on a shard that long after sending a renewal, so the next one must go first");
  }
  std::optional<cluster::ShardMap> map;
  try {
    map.emplace(cluster.shard_map());
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("cluster.pins: " + std::string(e.what()));
  }
  std::set<std::string_view> seen;
  for (const auto& clinic : cluster.clinics) {
    try {
      map->shard_of(protocol::ClinicId{clinic});
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error("cluster.clinics: " + std::string(e.what()));
    }
    if (!seen.insert(clinic).second) throw std::runtime_error("cluster.clinics names \"" + clinic + "\" twice");
  }
}

}  // namespace

cluster::ShardMap ClusterConfig::shard_map() const {
  std::map<protocol::ClinicId, cluster::Shard> clinic_pins;
  for (const auto& [clinic, shard] : pins) {
    if (!std::in_range<cluster::Shard>(shard)) {
      throw std::invalid_argument("clinic \"" + clinic + "\" is pinned to shard " + std::to_string(shard) +
                                  ", which is no shard number");
    }
    clinic_pins.emplace(protocol::ClinicId{clinic}, static_cast<cluster::Shard>(shard));
  }
  return cluster::ShardMap(shards, std::move(clinic_pins));
}

void finish_store_and_cluster(Config& config) {
  check_store_url(config.store_url);
  // A daemon on PostgreSQL is a cluster's daemon, if of a cluster of one: the store is shared by design.
  if (!config.store_url.empty() && !config.cluster) config.cluster.emplace();
  if (!config.cluster) return;
  if (config.cluster->daemon_id.empty()) config.cluster->daemon_id = host_and_pid();
  check_cluster(config);
}

}  // namespace sterifleet::app
