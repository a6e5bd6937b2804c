// A fresh database on the test program's PostgreSQL with the cluster tables, and the lease options the
// tests use (short ttls keep them fast).
#pragma once

#include <chrono>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>
#include <string>

#include "sterifleet/cluster/lease_table.hpp"
#include "sterifleet/testing/postgres.hpp"

namespace sterifleet::cluster::testing {

inline std::string cluster_database() {
  const auto url = sterifleet::testing::shared_postgres().fresh_database("lease");
  std::ifstream file(STERIFLEET_PG_SCHEMA);
  if (!file) throw std::runtime_error("cannot read the schema " STERIFLEET_PG_SCHEMA);
  std::stringstream schema;
  schema << file.rdbuf();
  pqxx::connection connection(url);
  pqxx::nontransaction work(connection);
  work.exec(schema.str());
  return url;
}

inline LeaseTableOptions lease_options(const std::string& url, const std::string& daemon,
                                       std::chrono::milliseconds ttl = std::chrono::milliseconds{1000}) {
  return LeaseTableOptions{.url = url, .daemon_id = daemon, .ttl = ttl};
}

}  // namespace sterifleet::cluster::testing
