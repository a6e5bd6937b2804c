// Pens as devices: power-up (battery charged overnight, motor counter serviced when due),
// telemetry every 60 s while powered, and the battery model.
#pragma once

#include "world.hpp"

namespace sterifleet::sim {

/// Powers the pen (or the spare) up. `announce`: publish the birth (the device.unknown spare does not).
void power_up_pen(World& world, Device& device, bool announce);
/// Brings the battery level up to date for the time elapsed in the current activity.
void update_battery(World& world, PenState& pen);
/// Lifetime motor run time and strokes, including the running session's progress.
double motor_runtime_now(const PenState& pen, Timestamp now);
double motor_strokes_now(const PenState& pen, Timestamp now);

double round1(double value);

}  // namespace sterifleet::sim
