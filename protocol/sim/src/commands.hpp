// How a device obeys the daemon's commands: lock, unlock, replay (unchanged, from its history), rebirth.
#pragma once

#include <string_view>

#include "sterifleet/protocol/command.hpp"
#include "world.hpp"

namespace sterifleet::sim {

void obey(World& world, Device& device, const protocol::Command& command);
/// Reports a cmd.rejected fault, as the protocol asks of a device that receives a malformed command.
void reject_command(World& world, Device& device, std::string_view reason);

}  // namespace sterifleet::sim
