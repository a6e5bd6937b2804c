// Thin RAII over the SQLite C API: a connection, prepared statements made once and reused, and
// errors turned into StoreError with SQLite's own message. Not thread-safe: one thread at a time
// per Connection (the store guards each with a mutex or hands it out from a pool).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sterifleet::store::sqlite {

/// "<what>: <SQLite's message> (<error name>)".
std::string error_message(sqlite3* db, std::string_view what);
/// Throws StoreError with error_message().
[[noreturn]] void fail(sqlite3* db, std::string_view what);

class Connection;

/// PRAGMA busy_timeout: how long to wait for another connection's lock before failing.
void set_busy_timeout(Connection& db, int ms);
/// PRAGMA cache_size, in KiB (at least 64).
void set_cache_kib(Connection& db, int kib);

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters count from 1. Text and blobs are not copied: they must outlive the step that uses
  // them, hence no overload for temporaries.
  void bind(int index, std::int64_t value);
  void bind(int index, std::string_view text);
  void bind(int index, const std::string& text) { bind(index, std::string_view(text)); }
  void bind(int index, std::string&& text) = delete;
  void bind(int index, const std::optional<std::int64_t>& value);
  void bind(int index, const std::optional<std::string>& text);
  void bind(int index, std::optional<std::string>&& text) = delete;
  void bind_blob(int index, std::string_view bytes);
  void bind_null(int index);

  /// Runs one step: true when a row is ready. Throws StoreError naming `what` on error.
  bool step(std::string_view what = "query");
  /// Steps to the end, for statements that return no rows, and resets.
  void run(std::string_view what);
  /// As run(), but returns SQLite's error message instead of throwing, so the caller can say which
  /// row failed without building that description on the fast path.
  std::optional<std::string> execute();
  void reset() noexcept { sqlite3_reset(statement_); }

  // Columns count from 0.
  bool is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  std::int64_t int64(int column) const { return sqlite3_column_int64(statement_, column); }
  std::optional<std::int64_t> optional_int64(int column) const;
  /// Valid until the next step or reset.
  std::string_view text(int column) const;
  std::string string(int column) const { return std::string(text(column)); }
  std::string blob(int column) const;

 private:
  sqlite3_stmt* statement_ = nullptr;
};

/// Resets a statement when the scope ends, also by an exception, so no statement keeps a read
/// transaction open (which would stop the WAL from being checkpointed).
class Reset {
 public:
  explicit Reset(Statement& statement) : statement_(statement) {}
  ~Reset() { statement_.reset(); }
  Reset(const Reset&) = delete;
  Reset& operator=(const Reset&) = delete;

 private:
  Statement& statement_;
};

class Connection {
 public:
  /// Opens `path` with `flags` (SQLITE_OPEN_*); NOMUTEX is added: callers serialise use.
  Connection(const std::string& path, int flags);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* get() const { return db_; }
  void exec(const std::string& sql);
  /// A statement prepared on first use and kept: for queries whose text varies with their filters.
  Statement& cached(const std::string& sql);

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

/// A transaction that rolls back unless committed: BEGIN IMMEDIATE for writers (take the write lock
/// up front rather than fail to upgrade later), BEGIN (deferred) for a consistent read of several
/// statements.
class Transaction {
 public:
  enum class Kind { read, write };
  Transaction(Connection& connection, Kind kind);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Connection& connection_;
  bool open_ = true;
};

}  // namespace sterifleet::store::sqlite
