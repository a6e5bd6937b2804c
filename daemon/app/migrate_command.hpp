// `sterifleet migrate --from sterifleet.db --to postgresql://...`: copies a stopped daemon's SQLite store
// into an empty PostgreSQL database of a cluster (store_migration.hpp), then proves the copy: rows per
// table, the audit chain walked on PostgreSQL as `audit verify` walks it, and the open alerts of an
// engine rebuilt from each shard's journal equal to those rebuilt from the SQLite journal.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace sterifleet::app {

/// Exit codes of `sterifleet migrate`.
enum MigrateExit : int {
  migrate_verified = 0,  ///< copied and every check holds
  migrate_mismatch = 1,  ///< copied, but a check failed: do not use the target
  migrate_refused = 2,   ///< nothing copied: bad options, a live writer, a target holding data, or an error
};

struct MigrateOptions {
  std::string from;  ///< the SQLite file
  std::string to;    ///< postgresql://...
  int shards = 32;
  std::vector<std::string> pins;  ///< "clinic=shard", as the daemons' cluster.pins
};

/// Prints a short summary (or the reason it stopped) to `out`; returns a MigrateExit.
int migrate_store(const MigrateOptions& options, std::ostream& out);

}  // namespace sterifleet::app
