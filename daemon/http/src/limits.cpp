#include "limits.hpp"

#include <fmt/format.h>

#include "errors.hpp"
#include "security_headers.hpp"

namespace sterifleet::http {

namespace {

// A connection is soon free again; a stream is held for as long as a dashboard stays open.
constexpr std::chrono::seconds connection_retry{5};
constexpr std::chrono::seconds stream_retry{30};

}  // namespace

std::string_view to_string(Limit limit) noexcept {
  switch (limit) {
    case Limit::connections:
      return "connections";
    case Limit::client_connections:
      return "client_connections";
    case Limit::token_connections:
      return "token_connections";
    case Limit::streams:
      return "streams";
    case Limit::token_streams:
      return "token_streams";
  }
  return "connections";
}

Response over_limit(Limit limit, const HttpOptions& o) {
  ErrorCode code = ErrorCode::too_many_requests;
  std::string message;
  auto retry = connection_retry;
  switch (limit) {
    case Limit::connections:
      code = ErrorCode::unavailable;
      message = fmt::format(
          "the server has {} connections open, its limit (http.max_connections); only /healthz and /readyz are "
          "answered on further connections until some close",
          o.max_connections);
      break;
    case Limit::client_connections:
      message = fmt::format(
          "this client address has {} connections open, the most allowed (http.max_connections_per_client); reuse "
          "them or close some",
          o.max_connections_per_client);
      break;
    case Limit::token_connections:
      message = fmt::format(
          "this token is in use on {} connections, the most allowed (http.max_connections_per_token); reuse them "
          "or close some",
          o.max_connections_per_token);
      break;
    case Limit::streams:
      code = ErrorCode::unavailable;
      retry = stream_retry;
      message = fmt::format("{} event streams are open, the server's limit (http.max_streams)", o.max_streams);
      break;
    case Limit::token_streams:
      retry = stream_retry;
      message = fmt::format(
          "this token has {} event streams open, the most allowed (http.max_streams_per_token); close one (a "
          "dashboard tab) first",
          o.max_streams_per_token);
      break;
  }
  auto response = error_response(code, message);
  response.set(boost::beast::http::field::retry_after, std::to_string(retry.count()));
  set_security_headers(response, false);
  return response;
}

}  // namespace sterifleet::http
