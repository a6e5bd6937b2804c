#include "sterifleet/cluster/event_relay.hpp"

#include "event_listener.hpp"
#include "event_sender.hpp"
#include "relay_metrics.hpp"
#include "sterifleet/crypto/random.hpp"
#include "sterifleet/fleet/event_bus.hpp"

namespace sterifleet::cluster {

struct EventRelay::Parts {
  Parts(const std::string& url, const RelayIdentity& me, fleet::EventBus& events, prometheus::Registry& registry,
        const EventRelayOptions& options)
      : bus(events),
        metrics(registry),
        sender(url, me, options, metrics),
        listener(url, me, events, options, metrics) {}

  fleet::EventBus& bus;
  RelayMetrics metrics;
  EventSender sender;
  EventListener listener;
};

EventRelay::EventRelay(std::string url, std::string daemon, fleet::EventBus& bus, prometheus::Registry& metrics,
                       EventRelayOptions options)
    // A run id of its own, so that a restarted daemon's sequence starting over again at 1 is no replay.
    : parts_(std::make_unique<Parts>(url, RelayIdentity{std::move(daemon), crypto::random_hex(8)}, bus, metrics,
                                     options)) {
  bus.forward_local([sender = &parts_->sender](std::string_view clinic, const std::string& event) {
    sender->enqueue(clinic, event);
  });
}

EventRelay::~EventRelay() { parts_->bus.forward_local({}); }

}  // namespace sterifleet::cluster
