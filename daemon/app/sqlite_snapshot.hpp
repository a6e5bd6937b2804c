// A SQLite file read in one read transaction, through the C API: `sterifleet migrate` reads every table
// of a store as it is, at one moment, without the store's own reading paths.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace sterifleet::app {

/// One read transaction on the SQLite file: every query sees the same moment.
class SqliteSnapshot {
 public:
  explicit SqliteSnapshot(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close_v2(db_);
      throw std::runtime_error("opening " + path + " read-only: " + why);
    }
    sqlite3_busy_timeout(db_, 5000);
    if (sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) fail("BEGIN");
  }
  ~SqliteSnapshot() { sqlite3_close_v2(db_); }
  SqliteSnapshot(const SqliteSnapshot&) = delete;
  SqliteSnapshot& operator=(const SqliteSnapshot&) = delete;

  /// A row's columns while `each` visits it.
  class Row {
   public:
    explicit Row(sqlite3_stmt* s) : s_(s) {}
    bool null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
    std::int64_t integer(int c) const { return sqlite3_column_int64(s_, c); }
    std::string text(int c) const {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
      return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c))) : std::string();
    }
    std::string blob(int c) const {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, c));
      return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c))) : std::string();
    }
    std::optional<std::string> optional_text(int c) const { return null(c) ? std::nullopt : std::optional(text(c)); }
    std::optional<std::int64_t> optional_integer(int c) const {
      return null(c) ? std::nullopt : std::optional(integer(c));
    }

   private:
    sqlite3_stmt* s_;
  };

  template <class Visit>
  void each(const std::string& sql, Visit&& visit) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) fail(sql);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      try {
        visit(Row(s));
      } catch (...) {
        sqlite3_finalize(s);
        throw;
      }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) fail(sql);
  }

  std::int64_t integer(const std::string& sql) {
    std::int64_t value = 0;
    each(sql, [&](const Row& r) { value = r.integer(0); });
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("reading the SQLite store (" + what + "): " + sqlite3_errmsg(db_));
  }

  sqlite3* db_ = nullptr;
};

}  // namespace sterifleet::app
