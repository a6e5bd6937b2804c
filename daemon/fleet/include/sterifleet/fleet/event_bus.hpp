// Fan-out of live events (alert transitions, device state changes) to the dashboard's stream, each
// event to the subscribers whose clinics include its clinic. Thread-safe; a slow subscriber never blocks the publisher:
// each subscriber has a bounded queue and loses its oldest events (and is told so) when it falls behind.
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
  /// `clinic`: the event's; an event of no clinic (empty) reaches only subscribers of every clinic.
  void publish(std::string_view clinic, const std::string& event);
  std::size_t subscribers();

 private:
  std::mutex mutex_;
  std::vector<std::weak_ptr<Subscription>> subscriptions_;
};

}  // namespace sterifleet::fleet
