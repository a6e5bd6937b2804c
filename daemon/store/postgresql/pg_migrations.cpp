#include "pg_migrations.hpp"

#include <array>
#include <string>
#include <string_view>

#include "sterifleet/store/store.hpp"

namespace sterifleet::store::postgresql {

// schema_v<n>.sql, embedded at build time (embed_schema.cmake). Never edit a migration that has
// shipped: add one.
extern const std::string_view schema_v1;
extern const std::string_view schema_v2;

namespace {

struct Migration {
  int version;
  std::string_view description;
  const std::string_view* sql;
};

const std::array migrations{
    Migration{1, "initial schema: cluster, leases with fencing, per-shard journal, audit chains", &schema_v1},
    Migration{2, "one audit chain per clinic, anchored into the fleet chain", &schema_v2},
};

// Any constant will do, as long as nothing else locks it: the cluster's lease locks use the two-key
// form, which PostgreSQL keeps apart from this one-key form.
constexpr std::int64_t kMigrationLock = 0x5354'4552'4946'4c54;  // "STERIFLT"

int stored_version(pqxx::transaction_base& tx) {
  const auto exists = tx.exec1("SELECT to_regclass('schema_version') IS NOT NULL");
  if (!exists[0].as<bool>()) return 0;
  return tx.exec1("SELECT coalesce(max(version), 0) FROM schema_version")[0].as<int>();
}

void refuse_newer(int found) {
  if (found > latest_schema_version()) {
    throw StoreError("the store has schema version " + std::to_string(found) + ", written by a newer sterifleet; " +
                     "this one knows up to version " + std::to_string(latest_schema_version()));
  }
}

}  // namespace

int latest_schema_version() { return migrations.back().version; }

int migrate(pqxx::connection& db) {
  try {
    pqxx::work tx(db);
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLock);
    tx.exec0(
        "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, description text NOT NULL, "
        "applied_at timestamptz NOT NULL DEFAULT now())");
    const int found = stored_version(tx);
    refuse_newer(found);
    for (const auto& migration : migrations) {
      if (migration.version <= found) continue;
      tx.exec0(std::string(*migration.sql));
      tx.exec_params0("INSERT INTO schema_version (version, description) VALUES ($1, $2)", migration.version,
                      std::string(migration.description));
    }
    tx.commit();
    return found;
  } catch (const pqxx::failure& e) {
    throw StoreError(std::string("migrating the PostgreSQL store: ") + e.what());
  }
}

void require_latest_schema(pqxx::connection& db) {
  int found = 0;
  try {
    pqxx::read_transaction tx(db);
    found = stored_version(tx);
  } catch (const pqxx::failure& e) {
    throw StoreError(std::string("reading the PostgreSQL store's schema version: ") + e.what());
  }
  if (found == 0) throw StoreError("not a sterifleet store: the database has no schema_version table");
  refuse_newer(found);
  if (found < latest_schema_version()) {
    throw StoreError("the store has schema version " + std::to_string(found) +
                     "; open it once with a writer to migrate it");
  }
}

}  // namespace sterifleet::store::postgresql
