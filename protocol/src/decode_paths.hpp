// The decoder's two paths (decode.cpp), apart so that the fuzz target can hold one against the other.
#pragma once

#include <boost/system/result.hpp>
#include <optional>
#include <string_view>

#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::protocol::detail {

/// simdjson's DOM through the field rules: the message, or nullopt for anything it does not accept.
std::optional<Inbound> decode_fast(const Topic& topic, std::string_view payload, const DecodeContext& context);

/// nlohmann's parser through the same rules, naming what is wrong with a byte offset or a field path.
boost::system::result<Inbound, DecodeError> decode_explained(const Topic& topic, std::string_view payload,
                                                             const DecodeContext& context);

}  // namespace sterifleet::protocol::detail
