// Hands what Paho's threads observe (connections, acknowledgements, commands) to the driver thread.
// Paho callbacks only copy and push; they never block on the driver.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <utility>

namespace sterifleet::sim {

struct Inbound {
  enum class Kind {
    connected,
    connect_failed,
    disconnected,
    acked,
    publish_failed,
    command,
    connection_lost,
    persisted,  ///< the boot in `ticket` is on disk
    persist_failed,
  };
  Kind kind = Kind::connected;
  std::size_t device = 0;
  std::uint64_t ticket = 0;  ///< publish ticket, or the persisted boot
  bool session_present = false;
  std::string topic;
  std::string text;  ///< command payload, or the error
};

/// Thread-safe.
class Inbox {
 public:
  void post(Inbound event) {
    {
      const std::lock_guard lock(mutex_);
      events_.push_back(std::move(event));
    }
    ready_.notify_one();
  }
  /// Waits until something arrives or `deadline`, then takes everything.
  std::deque<Inbound> take(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    ready_.wait_until(lock, deadline, [&] { return !events_.empty(); });
    return std::exchange(events_, {});
  }
  void wake() { ready_.notify_one(); }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Inbound> events_;
};

}  // namespace sterifleet::sim
