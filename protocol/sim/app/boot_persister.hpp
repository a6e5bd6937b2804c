// Persists boot counters off the driver thread: a device's new boot must be on disk before the device
// uses it, but one slow fsync must not stall every other device's heartbeat. Requests made while a write
// is in progress are coalesced into the next write. Completion (or failure) is posted to the Inbox.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "inbox.hpp"
#include "state_store.hpp"

namespace sterifleet::sim {

/// Thread-safe. Owns the StateStore's writes while it runs.
class BootPersister {
 public:
  BootPersister(StateStore& state, Inbox& inbox);
  ~BootPersister();  ///< finishes pending writes
  BootPersister(const BootPersister&) = delete;
  BootPersister& operator=(const BootPersister&) = delete;

  /// Posts Inbound::Kind::persisted (ticket = boot) for `link` once written, or persist_failed.
  void persist(std::size_t link, const std::string& device, std::uint32_t boot);

 private:
  struct Request {
    std::size_t link = 0;
    std::string device;
    std::uint32_t boot = 0;
  };
  void run();

  StateStore& state_;
  Inbox& inbox_;
  std::mutex mutex_;
  std::condition_variable pending_cv_;
  std::vector<Request> pending_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace sterifleet::sim
