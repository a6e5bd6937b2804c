// The SQLite store's writing connection and the statements of its commit path, prepared once when
// the store opens (Mosquitto's persist-sqlite does the same) and reused by every commit.
#pragma once

#include <memory>
#include <string>

#include "../src/audit_chain.hpp"
#include "connection.hpp"
#include "sqlite_store.hpp"

namespace sterifleet::store::sqlite {

/// Applies the options (WAL, synchronous, cache) and migrates; read-only: checks the schema instead.
void configure_writer(Connection& db, const SqliteOptions& options);

/// References into the connection's statement cache, which owns them.
struct WriteStatements {
  explicit WriteStatements(Connection& db);

  Statement& insert_message;
  Statement& insert_quarantine;
  Statement& insert_action;
  Statement& upsert_alert;
  Statement& upsert_session;
  Statement& upsert_cycle;
  Statement& insert_audit;
  Statement& insert_command;
  Statement& select_counters;
  Statement& update_meta;
  Statement& update_receipt;
  Statement& data_version;
  Statement& select_key_position;
  Statement& select_tail;
  Statement& insert_keys;
  Statement& update_key_position;
};

struct SqliteStore::Writer {
  Writer(const std::string& path, const SqliteOptions& options);

  Connection db;
  WriteStatements statements;  ///< prepared after configure_writer() ran in the constructor
  bool read_only;
  std::int64_t data_version = 0;  ///< as of our last commit
  std::string canonical;          ///< reused across audit records
  crypto::Sha256 sha256;
};

}  // namespace sterifleet::store::sqlite
