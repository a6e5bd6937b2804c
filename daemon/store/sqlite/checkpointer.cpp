#include "checkpointer.hpp"

namespace sterifleet::store::sqlite {

Checkpointer::Checkpointer(const std::string& path, int busy_timeout_ms) : db_(path, SQLITE_OPEN_READWRITE) {
  sqlite3_busy_timeout(db_.get(), busy_timeout_ms);
  // A connection learns that the file is in WAL mode only when it first reads it; until then a
  // checkpoint through it does nothing (SQLite reports -1 frames), and the writer did every one.
  db_.exec("SELECT count(*) FROM sqlite_schema");
  thread_ = std::thread([this] { run(); });
}

Checkpointer::~Checkpointer() {
  if (writer_) sqlite3_wal_hook(writer_, nullptr, nullptr);
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Checkpointer::watch(sqlite3* writer) {
  writer_ = writer;
  sqlite3_wal_hook(writer, &Checkpointer::on_commit, this);
}

// Runs on the writer's thread after each commit, outside any transaction.
int Checkpointer::on_commit(void* self, sqlite3* db, const char* name, int pages) {
  auto& checkpointer = *static_cast<Checkpointer*>(self);
  int backfilled = checkpointer.backfilled_.load(std::memory_order_relaxed);
  if (pages < backfilled) {  // the WAL restarted since
    backfilled = 0;
    checkpointer.backfilled_.store(0, std::memory_order_relaxed);
  }
  if (pages >= restart_pages) {
    // PASSIVE: if a reader still needs old frames this copies what it can, and a later commit retries.
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (pages - backfilled >= wake_pages && !checkpointer.busy_.exchange(true)) {
    {
      std::lock_guard lock(checkpointer.mutex_);
      checkpointer.due_ = true;
    }
    checkpointer.wake_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return due_ || stop_; });
    if (stop_) return;
    due_ = false;
    lock.unlock();
    // PASSIVE neither waits for nor blocks the writer and readers; what it cannot copy now (frames a
    // reader still needs) the next one will. Errors surface on the writer's own next commit anyway.
    int log = 0;
    int copied = 0;
    if (sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied) == SQLITE_OK) {
      backfilled_.store(copied, std::memory_order_relaxed);
    }
    busy_.store(false);
    lock.lock();
  }
}

}  // namespace sterifleet::store::sqlite
