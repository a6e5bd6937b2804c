// Versioned schema migrations of the PostgreSQL store, recorded in schema_version like SQLite's.
#pragma once

#include <pqxx/pqxx>

namespace sterifleet::store::postgresql {

int latest_schema_version();
/// Applies the missing migrations in one transaction, under a transaction-level advisory lock so that
/// daemons starting together take turns (the second finds the work done); refuses a database a newer
/// sterifleet migrated. Returns the version found before. Throws StoreError.
int migrate(pqxx::connection& db);
/// For a read-only store: the schema must be exactly the latest. Throws StoreError.
void require_latest_schema(pqxx::connection& db);

}  // namespace sterifleet::store::postgresql
