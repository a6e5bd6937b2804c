// Sterilizers: the morning Bowie-Dick test of prevacuum autoclaves, loads of pens with valid cycle
// parameters, one BI-monitored load a day read ~24 h later, and the recall after a positive BI.
#pragma once

#include "world.hpp"

namespace sterifleet::sim {

/// The pen's last session ended after its last valid reprocessing (or it was recalled, or the run just began).
bool needs_reprocessing(const PenState& pen);

void power_up_sterilizer(World& world, Device& device);
/// Starts the loads that are due on idle sterilizers of the clinic.
void run_loads(World& world, Clinic& clinic);
/// Pens waiting for reprocessing that some sterilizer could still take today.
bool loads_pending(World& world, Clinic& clinic);

}  // namespace sterifleet::sim
