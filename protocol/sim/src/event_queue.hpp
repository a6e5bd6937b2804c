// Discrete-event queue of the scenario: handlers run in (time, insertion order), which keeps runs deterministic.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "sterifleet/protocol/time.hpp"

namespace sterifleet::sim {

class EventQueue {
 public:
  using Handler = std::function<void()>;

  void schedule(protocol::Timestamp at, Handler handler) {
    heap_.push_back(Entry{at, counter_++, std::move(handler)});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }
  bool empty() const noexcept { return heap_.empty(); }
  protocol::Timestamp next_time() const { return heap_.front().at; }
  /// Removes the earliest event; `at` receives its time.
  Handler pop(protocol::Timestamp& at) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    Entry entry = std::move(heap_.back());
    heap_.pop_back();
    at = entry.at;
    return std::move(entry.handler);
  }
  void clear() { heap_.clear(); }

 private:
  struct Entry {
    protocol::Timestamp at;
    std::uint64_t order = 0;
    Handler handler;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const { return a.at != b.at ? a.at > b.at : a.order > b.order; }
  };
  std::vector<Entry> heap_;
  std::uint64_t counter_ = 0;
};

}  // namespace sterifleet::sim
