// A clinic's working day in simulated time: devices power up in the morning, operators treat
// patients, sterilizers reprocess, devices drop off the network now and then, everything shuts down
// in the evening. Also the end of the run and the switch to real time (--follow).
#pragma once

#include "world.hpp"

namespace sterifleet::sim {

/// Schedules the first day of every clinic, the end of the run, and the follow-mode heartbeat change.
void start_clinics(World& world);
/// Ends every session and shuts every device down properly, from now on.
void wind_down(World& world);

}  // namespace sterifleet::sim
