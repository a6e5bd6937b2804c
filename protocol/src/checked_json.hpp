// JSON parsing for untrusted payloads: no exceptions, a nesting limit, duplicate keys rejected,
// and every syntax error reported with its byte offset.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "sterifleet/protocol/decode_error.hpp"

namespace sterifleet::protocol::detail {

/// Parses one JSON document; on failure returns nullopt and fills `error`.
std::optional<nlohmann::json> parse_checked(std::string_view text, std::size_t max_depth, DecodeError& error);

}  // namespace sterifleet::protocol::detail
