// Reading connections for the SQLite store's queries: WAL lets each read its own consistent snapshot
// while the writer commits, so queries never wait for a commit nor a commit for a query.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "connection.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::store::sqlite {

/// Reading connections handed out one caller at a time; idle ones are kept for the next caller.
/// Thread-safe.
class ReaderPool {
 public:
  ReaderPool(std::string path, const SqliteOptions& options);

  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Connection> connection) : pool_(pool), connection_(std::move(connection)) {}
    ~Lease() { pool_.release(std::move(connection_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    ReaderPool& pool_;
    std::unique_ptr<Connection> connection_;
  };

  Lease acquire();

 private:
  void release(std::unique_ptr<Connection> connection) noexcept;

  std::string path_;
  SqliteOptions options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace sterifleet::store::sqlite
