#include "reader_pool.hpp"

namespace sterifleet::store::sqlite {

ReaderPool::ReaderPool(std::string path, const SqliteOptions& options) : path_(std::move(path)), options_(options) {}

ReaderPool::Lease ReaderPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
  }
  const int flags = options_.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  auto connection = std::make_unique<Connection>(path_, flags);
  set_busy_timeout(*connection, options_.busy_timeout_ms);
  set_cache_kib(*connection, options_.cache_kib / 4);
  connection->exec("PRAGMA query_only = ON");
  return Lease(*this, std::move(connection));
}

void ReaderPool::release(std::unique_ptr<Connection> connection) noexcept {
  // Enough idle connections for the usual handful of concurrent requests; more are closed.
  constexpr std::size_t max_idle = 8;
  std::lock_guard lock(mutex_);
  if (connection && idle_.size() < max_idle) idle_.push_back(std::move(connection));
}

}  // namespace sterifleet::store::sqlite
