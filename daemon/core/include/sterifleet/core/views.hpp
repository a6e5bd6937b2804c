// JSON views of the engine's live state for the API and the dashboard stream. The shapes are the
// OpenAPI description's Device and DeviceDetail schemas.
#pragma once

#include <nlohmann/json.hpp>

#include "sterifleet/engine/engine.hpp"

namespace sterifleet::core {

/// What a clinic manager sees at a glance: locked, offline, in_use, needs_reprocessing or ready.
std::string_view display_state(const engine::DeviceRecord& device);

/// Serialised: the published view keeps it as text, and the event stream sends it as it is.
std::string device_summary(const engine::Engine& engine, const engine::DeviceRecord& device);
/// The summary plus recent sessions, reprocessing, cartridge changes and active alerts.
nlohmann::json device_detail(const engine::Engine& engine, const engine::DeviceRecord& device);
nlohmann::json recall_json(const engine::Recall& recall);

}  // namespace sterifleet::core
