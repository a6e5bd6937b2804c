// The listening half of the event relay: one thread on a connection of its own LISTENs on the relay
// channel and publishes the other daemons' events on this daemon's bus, in each daemon's order, once
// each. Whatever it cannot deliver (a gap in a daemon's sequence, an outage of its connection, a
// spilled event already pruned) it reports to the bus as lost, so that streams reload.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "relay_envelope.hpp"
#include "relay_identity.hpp"
#include "relay_metrics.hpp"
#include "sterifleet/cluster/event_relay.hpp"

namespace pqxx {
class connection_base;
}

namespace sterifleet::fleet {
class EventBus;
}

namespace sterifleet::cluster {

class EventListener {
 public:
  EventListener(std::string url, RelayIdentity me, fleet::EventBus& bus, const EventRelayOptions& options,
                RelayMetrics& metrics);
  /// Wakes the thread and joins it.
  ~EventListener();
  EventListener(const EventListener&) = delete;
  EventListener& operator=(const EventListener&) = delete;

 private:
  enum class Wake { readable, quiet, stop };

  void run();
  /// Listens until the connection fails (throws) or the relay stops (returns).
  void serve(pqxx::connection_base& connection, bool after_loss);
  void deliver(pqxx::connection_base& connection, const std::string& payload);
  std::optional<std::string> read_spilled(pqxx::connection_base& connection, SpillId spill);
  void lost(Loss why, std::uint64_t events);
  /// Until `socket` (none if negative) is readable, `timeout` passed or the relay stops.
  Wake wait(int socket, std::chrono::milliseconds timeout) const;

  const std::string url_;
  const RelayIdentity me_;
  fleet::EventBus& bus_;
  const EventRelayOptions options_;
  RelayMetrics& metrics_;
  const int stop_event_;    ///< an eventfd, written once to stop
  RunSequences sequences_;  ///< the thread's own
  std::thread thread_;      ///< last: starts once the rest is built
};

}  // namespace sterifleet::cluster
