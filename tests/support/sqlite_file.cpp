#include "sterifleet/testing/sqlite_file.hpp"

#include <sqlite3.h>

#include <memory>
#include <stdexcept>

namespace sterifleet::testing {

namespace {

using Handle = std::unique_ptr<sqlite3, decltype(&sqlite3_close)>;

Handle open(const std::filesystem::path& db, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(db.c_str(), &raw, flags, nullptr);
  Handle handle(raw, &sqlite3_close);
  if (rc != SQLITE_OK) {
    throw std::runtime_error("cannot open " + db.string() + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(raw, 10'000);
  return handle;
}

}  // namespace

std::vector<SqlRow> sqlite_rows(const std::filesystem::path& db, const std::string& sql) {
  const auto handle = open(db, SQLITE_OPEN_READONLY);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(handle.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sql + ": " + sqlite3_errmsg(handle.get()));
  }
  const std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> statement(raw, &sqlite3_finalize);
  std::vector<SqlRow> rows;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    SqlRow row;
    for (int i = 0; i < sqlite3_column_count(raw); ++i) {
      const auto* text = sqlite3_column_text(raw, i);
      row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) throw std::runtime_error(sql + ": " + sqlite3_errmsg(handle.get()));
  return rows;
}

long long sqlite_integer(const std::filesystem::path& db, const std::string& sql) {
  const auto rows = sqlite_rows(db, sql);
  if (rows.size() != 1 || rows.front().size() != 1) throw std::runtime_error(sql + ": not a single value");
  return std::stoll(rows.front().front());
}

void sqlite_exec(const std::filesystem::path& db, const std::string& sql) {
  const auto handle = open(db, SQLITE_OPEN_READWRITE);
  char* error = nullptr;
  if (sqlite3_exec(handle.get(), sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw std::runtime_error(sql + ": " + message);
  }
}

}  // namespace sterifleet::testing
