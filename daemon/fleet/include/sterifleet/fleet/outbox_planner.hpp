// The seam through which alert delivery joins the commit of each alert transition: the fleet hands
// every transition to the planner before it commits, so the notifications it decides are stored in the
// same transaction, and says when that transaction is durable, so they can be sent.
#pragma once

#include "sterifleet/engine/effects.hpp"
#include "sterifleet/engine/policy.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::fleet {

/// Called by the fleet holding its input lock: one call at a time.
class OutboxPlanner {
 public:
  virtual ~OutboxPlanner() = default;
  /// Adds to `into` the notifications `change` calls for and the cancellations it makes.
  virtual void plan(const engine::AlertChange& change, const engine::Policy& policy, protocol::Timestamp now,
                    store::Commit& into) = 0;
  /// A commit holding planned notifications is durable: they may be sent. Must not block.
  virtual void planned_stored() = 0;
};

}  // namespace sterifleet::fleet
