// An io_context run on a thread of its own while the test lives.
#pragma once

// GCC 12 at -O2 reports null dereferences inside Asio's executors (false positives in third-party code).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <thread>

namespace sterifleet::ingest::testing {

class RunningIo {
 public:
  RunningIo() : thread_([this] { io_.run(); }) {}
  ~RunningIo() { stop(); }
  /// Returns once no handler runs any more: whatever posted handlers may be destroyed after it.
  void stop() {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  RunningIo(const RunningIo&) = delete;
  RunningIo& operator=(const RunningIo&) = delete;
  boost::asio::any_io_executor executor() { return io_.get_executor(); }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  std::thread thread_;
};

}  // namespace sterifleet::ingest::testing
