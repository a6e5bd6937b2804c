// A device's summary as the published view keeps it (the API's listings and the dashboard stream send
// it as it is). The shape is the OpenAPI description's Device schema.
#pragma once

#include <nlohmann/json.hpp>

#include "sterifleet/engine/engine.hpp"

namespace sterifleet::fleet {

/// What a clinic manager sees at a glance: locked, offline, in_use, needs_reprocessing or ready.
std::string_view display_state(const engine::DeviceRecord& device);

/// Serialised: the published view keeps it as text, and the event stream sends it as it is.
std::string device_summary(const engine::Engine& engine, const engine::DeviceRecord& device);

}  // namespace sterifleet::fleet
