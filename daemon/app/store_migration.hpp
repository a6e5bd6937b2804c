// The copy behind `sterifleet migrate`: a SQLite store (one journal, one commit numbering, one audit
// chain) into an empty PostgreSQL database of a cluster, split by clinic into the cluster's shards.
// What moves where, and why, is written at store_migration.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "sterifleet/cluster/shard_map.hpp"

namespace sterifleet::app {

/// The copy cannot be made as asked (a live writer of the file, a target holding data, a shard count
/// the target disagrees with): nothing was written. The message says why and what to do.
class MigrationRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws MigrationRefused when a process has the SQLite file open (a running sterifleetd, or any
/// other connection): a copy beside a writer would miss its last commits.
void refuse_open_sqlite(const std::string& path);

/// Rows per table, as copied.
struct TableCount {
  std::string table;
  std::int64_t from = 0;  ///< in the SQLite file
  std::int64_t to = 0;    ///< written to PostgreSQL (more than `from` where an entry goes to every shard)
};

struct CopySummary {
  std::vector<TableCount> tables;
  std::map<cluster::Shard, std::int64_t> commits;       ///< the new commit numbering: commits per shard
  std::map<std::string, cluster::Shard> clinics;        ///< registered in clinic_shards
  std::map<std::int64_t, std::int64_t> quarantine_ids;  ///< old id -> new id
  std::map<std::string, std::string> alert_ids;         ///< old -> new, for alerts named by a quarantine id
  std::int64_t audit_records = 0;
};

/// Copies the SQLite store at `from` (opened read-only, one read transaction: one consistent view) into
/// the database at `to`, in one transaction: all of it or nothing. Throws MigrationRefused, or
/// std::runtime_error naming what failed.
CopySummary copy_sqlite_to_postgresql(const std::string& from, const std::string& to, const cluster::ShardMap& map);

/// Each table whose rows in the SQLite file or in PostgreSQL are not as many as the copy counted: one
/// line each, empty when every count holds.
std::vector<std::string> count_mismatches(const std::string& from, const std::string& to, const CopySummary& copied);

/// "quarantine:<id>" and ".../quarantine/<id>" in `text` renamed by `ids` (ids it does not hold stay).
std::string remap_quarantine_ids(const std::string& text, const std::map<std::int64_t, std::int64_t>& ids);
/// Every alert id (16 hex digits, not part of a longer run of them) in `text` that `ids` renames, renamed.
std::string remap_alert_ids(const std::string& text, const std::map<std::string, std::string>& ids);

}  // namespace sterifleet::app
