// The event relay's counters, so an operator sees events that did not cross between daemons. Thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstddef>
#include <cstdint>

namespace sterifleet::cluster {

/// Why events did not reach the other side.
enum class Loss {
  queue_full,    ///< this daemon's events dropped while PostgreSQL was slow or unreachable
  refused,       ///< this daemon's events PostgreSQL refused to notify
  gap,           ///< another daemon's events that never arrived (its queue was full, or we missed them)
  disconnected,  ///< our LISTEN connection was lost: one per outage, since how many were missed is unknown
  spill_gone,    ///< a large event's row was pruned before we read it
  malformed,     ///< a notification on the channel that is no relayed event
};

enum class RelayConnection { notify, listen };

class RelayMetrics {
 public:
  explicit RelayMetrics(prometheus::Registry& registry);

  void sent(std::size_t events, std::size_t spilled);
  void received() { received_.Increment(); }
  void lost(Loss why, std::uint64_t events);
  void connected(RelayConnection connection, bool up);

 private:
  prometheus::Counter& sent_;
  prometheus::Counter& spilled_;
  prometheus::Counter& received_;
  prometheus::Family<prometheus::Counter>& lost_;
  prometheus::Family<prometheus::Gauge>& connected_;
};

}  // namespace sterifleet::cluster
