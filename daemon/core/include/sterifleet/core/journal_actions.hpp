// People's actions and the clock's as the journal keeps them (store::Action), applied to an engine: by
// the daemon as they happen and on restart, and by `sterifleet replay` from an export, alike.
#pragma once

#include <chrono>

#include "sterifleet/engine/engine.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::core {

using protocol::Timestamp;

/// The engine's effects of one action; a refusal for an action it cannot apply (an unknown kind, a bad
/// body, an alert that is not there). Manual reprocessing is checked by the protocol codec as the body
/// of a cycle.complete, with no drift allowed.
engine::Effects apply_action(engine::Engine& engine, const store::Action& action, std::chrono::seconds max_clock_skew);

}  // namespace sterifleet::core
