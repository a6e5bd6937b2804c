// The times command-line options take: an RFC 3339 UTC timestamp, or a date meaning its midnight UTC.
#pragma once

#include <optional>
#include <string>

#include "sterifleet/protocol/time.hpp"

namespace sterifleet::app {

std::optional<protocol::Timestamp> parse_time_option(const std::string& text);

}  // namespace sterifleet::app
