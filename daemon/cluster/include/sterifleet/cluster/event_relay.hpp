// Live events across the daemons of a cluster: each daemon's own events (those published on its
// EventBus) reach every other daemon's EventBus through PostgreSQL NOTIFY, so any daemon's dashboard
// stream shows the whole fleet. Best effort but never silent: an event that cannot cross is counted,
// logged and reported to the streams as dropped, so that dashboards reload what they show.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace prometheus {
class Registry;
}

namespace sterifleet::fleet {
class EventBus;
}

namespace sterifleet::cluster {

struct EventRelayOptions {
  /// This daemon's events waiting for PostgreSQL; beyond it the oldest are dropped (and reported).
  std::size_t queue = 10000;
  /// Between attempts to reconnect: doubling from `backoff_first` to `backoff_max`.
  std::chrono::milliseconds backoff_first{500};
  std::chrono::milliseconds backoff_max{10000};
  /// A LISTEN connection that brought nothing for this long is checked with a query, so that a lost
  /// connection is noticed even when the fleet is quiet.
  std::chrono::milliseconds check_every{5000};
  /// Large events wait this long in event_spill for the other daemons to read them.
  std::chrono::seconds spill_keep{600};
};

/// Thread-safe. Two connections of its own, each kept by a background thread: one notifies this
/// daemon's events (in the order they were published), the other listens for the other daemons'.
class EventRelay {
 public:
  /// The PostgreSQL channel every daemon of a database notifies and listens on.
  static constexpr const char* channel = "sterifleet_events";

  /// Starts relaying at once: becomes `bus`'s forwarder (EventBus::forward_local) and connects to `url`
  /// in the background, retrying with backoff (so a database that is down is no error here). `daemon`
  /// names this daemon in what it notifies; its own events coming back are ignored. The bus must outlive
  /// the relay; counters go to `metrics`.
  EventRelay(std::string url, std::string daemon, fleet::EventBus& bus, prometheus::Registry& metrics,
             EventRelayOptions options = {});
  /// Stops forwarding, tries once to notify what is queued, and joins the threads.
  ~EventRelay();
  EventRelay(const EventRelay&) = delete;
  EventRelay& operator=(const EventRelay&) = delete;

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace sterifleet::cluster
