// Treatment sessions: an operator takes a ready pen, mounts a fresh sterile cartridge, treats one
// patient for 20-45 minutes, removes the cartridge; the pen then waits for reprocessing.
#pragma once

#include "world.hpp"

namespace sterifleet::sim {

/// An operator with a patient looks for a ready pen; without one the operator waits for the next tick.
void begin_session(World& world, std::size_t clinic, std::size_t op);
/// Ends a running session now (end of the run) and removes its cartridge.
void abort_session(World& world, Device& device);

}  // namespace sterifleet::sim
