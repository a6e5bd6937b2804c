#include "connection.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "sterifleet/store/store.hpp"

namespace sterifleet::store::sqlite {

std::string error_message(sqlite3* db, std::string_view what) {
  const int code = db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
  std::string message(what);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : "out of memory";
  message += " (";
  message += sqlite3_errstr(code);
  message += ')';
  return message;
}

void fail(sqlite3* db, std::string_view what) { throw StoreError(error_message(db, what)); }

Statement::Statement(sqlite3* db, std::string_view sql) {
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &statement_,
                         nullptr) != SQLITE_OK) {
    fail(db, "preparing \"" + std::string(sql.substr(0, 60)) + "\"");
  }
}

Statement::~Statement() { sqlite3_finalize(statement_); }

namespace {

void check_bind(sqlite3_stmt* statement, int rc) {
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(statement), "binding a parameter");
}

}  // namespace

void Statement::bind(int index, std::int64_t value) {
  check_bind(statement_, sqlite3_bind_int64(statement_, index, value));
}

// A null destructor is SQLITE_STATIC: SQLite reads the caller's bytes in place.
void Statement::bind(int index, std::string_view text) {
  check_bind(statement_, sqlite3_bind_text64(statement_, index, text.data(), text.size(), nullptr, SQLITE_UTF8));
}

void Statement::bind(int index, const std::optional<std::int64_t>& value) {
  if (value) {
    bind(index, *value);
  } else {
    bind_null(index);
  }
}

void Statement::bind(int index, const std::optional<std::string>& text) {
  if (text) {
    bind(index, std::string_view(*text));
  } else {
    bind_null(index);
  }
}

void Statement::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob with a null pointer would be stored as NULL.
  static const char empty = 0;
  check_bind(statement_,
             sqlite3_bind_blob64(statement_, index, bytes.empty() ? &empty : bytes.data(), bytes.size(), nullptr));
}

void Statement::bind_null(int index) { check_bind(statement_, sqlite3_bind_null(statement_, index)); }

bool Statement::step(std::string_view what) {
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(sqlite3_db_handle(statement_), what);
}

void Statement::run(std::string_view what) {
  Reset reset(*this);
  while (step(what)) {
  }
}

std::optional<std::string> Statement::execute() {
  int rc = SQLITE_ROW;
  while (rc == SQLITE_ROW) rc = sqlite3_step(statement_);
  std::optional<std::string> error;
  if (rc != SQLITE_DONE) {
    sqlite3* db = sqlite3_db_handle(statement_);
    error = std::string(sqlite3_errmsg(db)) + " (" + sqlite3_errstr(sqlite3_extended_errcode(db)) + ")";
  }
  sqlite3_reset(statement_);
  return error;
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

std::string_view Statement::text(int column) const {
  const auto* data = sqlite3_column_text(statement_, column);
  const auto size = sqlite3_column_bytes(statement_, column);
  if (!data) return {};
  return {reinterpret_cast<const char*>(data), static_cast<std::size_t>(size)};
}

std::string Statement::blob(int column) const {
  const auto* data = sqlite3_column_blob(statement_, column);
  const auto size = sqlite3_column_bytes(statement_, column);
  if (!data) return {};
  return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}

namespace {

// SQLite creates a database file 0644 (less the umask), and its WAL and SHM files with the database's
// mode. Created 0600 here first (an empty file is an empty database), all three are the daemon's
// alone: they hold operators' names and patients' references. An existing file keeps its mode.
void create_private(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.starts_with("file:")) return;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);  // otherwise it exists, or sqlite3_open_v2 reports why it cannot be made
}

}  // namespace

Connection::Connection(const std::string& path, int flags) {
  if ((flags & SQLITE_OPEN_CREATE) != 0) create_private(path);
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    auto message = error_message(db_, "opening " + path);
    sqlite3_close_v2(db_);
    throw StoreError(message);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() {
  cache_.clear();  // statements first: a connection closes only when its statements are finalised
  sqlite3_close_v2(db_);
}

void Connection::exec(const std::string& sql) {
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    fail(db_, "running \"" + sql.substr(0, 60) + "\"");
  }
}

Statement& Connection::cached(const std::string& sql) {
  auto& slot = cache_[sql];
  if (!slot) slot = std::make_unique<Statement>(db_, sql);
  return *slot;
}

void set_busy_timeout(Connection& db, int ms) { db.exec("PRAGMA busy_timeout = " + std::to_string(ms > 0 ? ms : 0)); }

void set_cache_kib(Connection& db, int kib) { db.exec("PRAGMA cache_size = -" + std::to_string(kib > 64 ? kib : 64)); }

Transaction::Transaction(Connection& connection, Kind kind) : connection_(connection) {
  connection_.cached(kind == Kind::write ? "BEGIN IMMEDIATE" : "BEGIN").run("beginning a transaction");
}

Transaction::~Transaction() {
  if (!open_ || sqlite3_get_autocommit(connection_.get())) return;
  // Nothing useful to do if even the rollback fails: SQLite rolls back on close or next open.
  sqlite3_exec(connection_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  connection_.cached("COMMIT").run("committing");
  open_ = false;
}

}  // namespace sterifleet::store::sqlite
