// cartridge.reused / cartridge.expired / cartridge.overused for one cartridge, derived from its uses
// (sessions of any pen, ordered by device time) and the pens' cartridge changes, which clear them.
#pragma once

#include <functional>
#include <vector>

#include "sterifleet/engine/alert.hpp"
#include "sterifleet/engine/records.hpp"

namespace sterifleet::engine {

/// The cartridge changes of a pen (empty if unknown).
using CartridgeChangesOf = std::function<const std::vector<CartridgeChange>*(const DeviceId&)>;
/// A pen's session by id, to read its end.
using SessionOf = std::function<const SessionRecord*(const DeviceId&, const SessionId&)>;

struct CartridgeEpisodes {
  std::vector<Episode> reused;
  std::vector<Episode> expired;
  std::vector<Episode> overused;
};

CartridgeEpisodes derive_cartridge(const CartridgeRecord& cartridge, const CartridgeChangesOf& changes_of,
                                   const SessionOf& session_of);

}  // namespace sterifleet::engine
