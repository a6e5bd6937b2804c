// JSON views of one device and of a recall, for the API's record routes. The shapes are the OpenAPI
// description's DeviceDetail and Recall schemas.
#pragma once

#include <nlohmann/json.hpp>

#include "sterifleet/engine/engine.hpp"

namespace sterifleet::http {

/// The device's summary plus recent sessions, reprocessing, cartridge changes and active alerts.
nlohmann::json device_detail(const engine::Engine& engine, const engine::DeviceRecord& device);
nlohmann::json recall_json(const engine::Recall& recall);

}  // namespace sterifleet::http
