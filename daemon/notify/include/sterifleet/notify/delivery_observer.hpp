// What the dispatcher tells the rest of the daemon about deliveries, so that a notification nobody got
// becomes an alert people see (delivery.failed, daemon/engine/README.md) rather than only a log line.
// The daemon wires it to the fleet; the dispatcher knows nothing of the fleet.
#pragma once

#include <string>

#include "sterifleet/protocol/time.hpp"

namespace sterifleet::notify {

/// A notification of an alert that was given up on.
struct DeadNotification {
  std::string id;        ///< the outbox row
  std::string receiver;  ///< who did not take it
  std::string clinic;    ///< of its alert
  std::string alert_id;
  std::string rule;    ///< the alert's rule id
  std::string kind;    ///< the notice's kind (firing, repeat, ...)
  std::string answer;  ///< why it died, e.g. "answered that it is gone: HTTP 410"
  protocol::Timestamp at{};
};

/// Called on the dispatcher's worker threads, never with the dispatcher's lock held; may block (it
/// commits). What it throws is logged, and the delivery's outcome stays recorded.
class DeliveryObserver {
 public:
  virtual ~DeliveryObserver() = default;
  /// Once for every notification of an alert that became dead (its receiver answered 410 and was
  /// disabled, or the receiver's dead_after ran out). Not for test notices, nor for notifications of
  /// delivery.failed alerts themselves (that would loop between failing receivers).
  virtual void failed(const DeadNotification& dead) = 0;
  /// A delivery to `receiver` for `clinic` succeeded, the first since a failure was reported for them
  /// or since the dispatcher started: a delivery.failed alert of theirs, if any, may clear.
  virtual void recovered(const std::string& receiver, const std::string& clinic) = 0;
};

}  // namespace sterifleet::notify
