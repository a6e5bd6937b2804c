// Copies the WAL back into the database file on its own thread and connection, so that no commit
// waits for a checkpoint's writes and fsyncs. Commits report the WAL's size through the writer
// connection's WAL hook; when 1000 pages have been added since the last checkpoint, the checkpointer
// wakes. Thread-safe.
//
// SQLite starts writing the WAL from its beginning again only when a write transaction begins after
// every frame was copied back. Under sustained load the background checkpoint never quite catches up
// with the writer, so every `restart_pages` the writer finishes the job itself: by then nearly all
// frames are copied, and it pays only the checkpoint's two fsyncs. That keeps the WAL file bounded
// and overwritten in place, rather than growing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "connection.hpp"

namespace sterifleet::store::sqlite {

class Checkpointer {
 public:
  /// Pages in the WAL that wake the checkpointer (SQLite's own automatic checkpoint uses 1000).
  static constexpr int wake_pages = 1000;
  /// Pages at which the writer checkpoints itself, so that the WAL restarts.
  static constexpr int restart_pages = 10 * wake_pages;

  Checkpointer(const std::string& path, int busy_timeout_ms);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  /// Replaces SQLite's automatic checkpoints on `writer` by this one. Call once, before commits.
  void watch(sqlite3* writer);

 private:
  static int on_commit(void* self, sqlite3* db, const char* name, int pages);
  void run();

  Connection db_;
  sqlite3* writer_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stop_ = false;
  std::atomic<bool> busy_{false};   ///< woken and not yet done: no need to wake it again
  std::atomic<int> backfilled_{0};  ///< WAL frames copied back by the last checkpoint
  std::thread thread_;
};

}  // namespace sterifleet::store::sqlite
