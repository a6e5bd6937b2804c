// spdlog set-up: one line an event, as text for people or JSON lines for log collectors.
#pragma once

#include <string>

namespace sterifleet::app {

/// Throws std::runtime_error for an unknown level or format.
void setup_logging(const std::string& level, const std::string& format);

}  // namespace sterifleet::app
