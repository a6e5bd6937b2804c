// The SQLite schema as an ordered list of migrations, applied inside one transaction and recorded
// in schema_version, as Mosquitto's persist-sqlite records its version_info.
#pragma once

#include "connection.hpp"

namespace sterifleet::store::sqlite {

/// The version this build writes.
int latest_schema_version();

/// Creates or upgrades the schema to the latest version; all migrations or none. Throws StoreError,
/// also for a file written by a newer sterifleet. Returns the version found before migrating.
int migrate(Connection& db);

/// For read-only use: throws StoreError unless the file holds exactly the latest schema.
void require_latest_schema(Connection& db);

}  // namespace sterifleet::store::sqlite
