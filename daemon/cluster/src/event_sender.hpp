// The notifying half of the event relay: this daemon's events, queued without ever blocking the
// publisher, notified in publication order by one thread on a connection of its own, reconnecting with
// backoff. Events larger than a NOTIFY payload go through event_spill.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "relay_identity.hpp"
#include "relay_metrics.hpp"
#include "sterifleet/cluster/event_relay.hpp"

namespace pqxx {
class connection_base;
}

namespace sterifleet::cluster {

/// Thread-safe.
class EventSender {
 public:
  EventSender(std::string url, RelayIdentity me, const EventRelayOptions& options, RelayMetrics& metrics);
  /// Tries once to notify what is queued if connected, then joins the thread.
  ~EventSender();
  EventSender(const EventSender&) = delete;
  EventSender& operator=(const EventSender&) = delete;

  /// Takes a short lock, nothing more: when the queue is full its oldest event is dropped. A dropped
  /// event keeps its sequence number, so listeners see the gap.
  void enqueue(std::string_view clinic, const std::string& event);

 private:
  struct Pending {
    std::uint64_t seq;
    std::string clinic;
    std::string event;
  };

  void run();
  /// Sends batches until the connection fails (throws) or the relay stops (returns).
  void serve(pqxx::connection_base& connection, std::vector<Pending>& batch);
  /// Waits for events; false when stopping with none left.
  bool take(std::vector<Pending>& batch);
  void send(pqxx::connection_base& connection, const std::vector<Pending>& batch);
  void prune(pqxx::connection_base& connection);
  /// False when stopping.
  bool pause(std::chrono::milliseconds delay);

  const std::string url_;
  const RelayIdentity me_;
  const EventRelayOptions options_;
  RelayMetrics& metrics_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;                           ///< guarded by mutex_
  std::uint64_t next_seq_ = 1;                          ///< guarded by mutex_
  std::uint64_t dropped_ = 0;                           ///< guarded by mutex_: since last logged
  bool stopping_ = false;                               ///< guarded by mutex_
  bool spilled_since_prune_ = false;                    ///< the thread's own
  std::chrono::steady_clock::time_point last_prune_{};  ///< the thread's own
  std::thread thread_;                                  ///< last: starts once the rest is built
};

}  // namespace sterifleet::cluster
