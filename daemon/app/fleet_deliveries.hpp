// Notifications nobody got become delivery.failed alerts of a Fleet, and a later delivery clears them:
// the dispatcher does not know the fleet. The single daemon wires it to its Fleet, a cluster's shard
// worker to its shard's Fleet (whose outbox that dispatcher works off).
#pragma once

#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/notify/delivery_observer.hpp"

namespace sterifleet::app {

/// Called on the dispatcher's worker threads; the Fleet serialises its inputs.
class FleetDeliveries : public notify::DeliveryObserver {
 public:
  explicit FleetDeliveries(fleet::Fleet& fleet) : fleet_(fleet) {}
  void failed(const notify::DeadNotification& dead) override;
  void recovered(const std::string& receiver, const std::string& clinic) override;

 private:
  fleet::Fleet& fleet_;
};

}  // namespace sterifleet::app
