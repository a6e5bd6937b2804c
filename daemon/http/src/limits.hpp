// The connection and stream limits a client can run into, and the answer it then gets: 429 when the
// client (its address or token) holds too much, 503 when the server as a whole is full; a JSON error
// naming the limit's configuration key, and a Retry-After.
#pragma once

#include <string_view>

#include "sterifleet/http/api.hpp"

namespace sterifleet::http {

enum class Limit { connections, client_connections, token_connections, streams, token_streams };
inline constexpr Limit all_limits[] = {Limit::connections, Limit::client_connections, Limit::token_connections,
                                       Limit::streams, Limit::token_streams};

/// The metric label of a limit.
std::string_view to_string(Limit limit) noexcept;

Response over_limit(Limit limit, const HttpOptions& options);

}  // namespace sterifleet::http
