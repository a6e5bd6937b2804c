// Fan-out of live events (alert transitions, device state changes) to the dashboard's stream, each
// event to the subscribers whose clinics include its clinic. Thread-safe; a slow subscriber never blocks the publisher:
// each subscriber has a bounded queue and loses its oldest events (and is told so) when it falls behind.
// In a cluster the bus also carries other daemons' events (cluster/event_relay.hpp), kept apart from this
// daemon's own so that only its own are forwarded and daemons never echo each other's events.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sterifleet/store/clinic_scope.hpp"

namespace sterifleet::fleet {

class EventBus {
 public:
  class Subscription {
   public:
    /// Takes the queued events (each a JSON text); `dropped` counts events lost to overflow since last.
    std::vector<std::string> drain(std::size_t& dropped);
    /// Called (from the publisher's thread) when events are queued; set once, before use.
    void on_ready(std::function<void()> notify);

   private:
    friend class EventBus;
    std::mutex mutex_;
    std::deque<std::string> queue_;
    std::size_t dropped_ = 0;
    std::size_t capacity_ = 1024;
    store::ClinicScope scope_;
    std::function<void()> notify_;
  };

  /// Events of the clinics in `scope` only.
  std::shared_ptr<Subscription> subscribe(std::size_t capacity = 1024, store::ClinicScope scope = {});
  /// An event of this daemon. `clinic`: the event's; an event of no clinic (empty) reaches only
  /// subscribers of every clinic.
  void publish(std::string_view clinic, const std::string& event);
  /// An event of another daemon: reaches subscribers like `publish`, never the forwarder.
  void publish_relayed(std::string_view clinic, const std::string& event);
  /// Hands every event given to `publish` also to `forward`, on the publisher's thread under the bus's
  /// lock (so it must not block, and once this returns no call of an earlier forwarder is running). The
  /// forwarder counts as a subscriber, so events are made for it. An empty function removes it.
  void forward_local(std::function<void(std::string_view clinic, const std::string& event)> forward);
  /// Tells every subscriber that `events` events may be missing from its stream, as its own overflow
  /// does (it then reloads what it shows).
  void report_lost(std::size_t events);
  std::size_t subscribers();

 private:
  void deliver(std::string_view clinic, const std::string& event, bool local);
  std::vector<std::shared_ptr<Subscription>> live_subscriptions(std::string_view clinic, bool local,
                                                                const std::string& event);

  std::mutex mutex_;
  std::vector<std::weak_ptr<Subscription>> subscriptions_;
  std::function<void(std::string_view, const std::string&)> forward_;  ///< guarded by mutex_
};

}  // namespace sterifleet::fleet
