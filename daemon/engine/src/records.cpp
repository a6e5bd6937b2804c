#include "sterifleet/engine/records.hpp"

#include <algorithm>
#include <array>

namespace sterifleet::engine {

namespace {
constexpr std::array<std::string_view, 3> hygiene_names{"ready", "in_use", "needs_reprocessing"};
constexpr std::array<std::string_view, 4> presence_names{"unknown", "online", "offline", "shutdown"};
constexpr std::array<std::string_view, 4> cycle_state_names{"invalid", "awaiting_bi", "valid", "recalled"};
}  // namespace

std::string_view to_string(Hygiene hygiene) noexcept { return hygiene_names[static_cast<std::size_t>(hygiene)]; }
std::string_view to_string(Presence presence) noexcept { return presence_names[static_cast<std::size_t>(presence)]; }
std::string_view to_string(CycleState state) noexcept { return cycle_state_names[static_cast<std::size_t>(state)]; }

std::string message_key(const protocol::Envelope& envelope) {
  std::string key = envelope.device.str();
  key += '/';
  key += std::to_string(envelope.boot);
  key += '/';
  key += std::to_string(envelope.seq);
  return key;
}

bool DeviceRecord::in_maintenance(Timestamp t) const {
  return std::any_of(maintenance.begin(), maintenance.end(),
                     [t](const MaintenanceWindow& w) { return w.from <= t && t < w.to; });
}

CycleState CycleRecord::state() const {
  if (recalled_at) return CycleState::recalled;
  if (!assessment.parameters_sufficient || !assessment.indicator_passed) return CycleState::invalid;
  if (cycle.biological_indicator && !bi) return CycleState::awaiting_bi;
  return CycleState::valid;
}

}  // namespace sterifleet::engine
