#include "errors.hpp"

namespace sterifleet::http {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::bad_request:
      return "bad_request";
    case ErrorCode::unauthorized:
      return "unauthorized";
    case ErrorCode::forbidden:
      return "forbidden";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::method_not_allowed:
      return "method_not_allowed";
    case ErrorCode::conflict:
      return "conflict";
    case ErrorCode::payload_too_large:
      return "payload_too_large";
    case ErrorCode::too_many_requests:
      return "too_many_requests";
    case ErrorCode::internal:
      return "internal";
    case ErrorCode::unavailable:
      return "unavailable";
  }
  return "internal";
}

beast_http::status status_of(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::bad_request:
      return beast_http::status::bad_request;
    case ErrorCode::unauthorized:
      return beast_http::status::unauthorized;
    case ErrorCode::forbidden:
      return beast_http::status::forbidden;
    case ErrorCode::not_found:
      return beast_http::status::not_found;
    case ErrorCode::method_not_allowed:
      return beast_http::status::method_not_allowed;
    case ErrorCode::conflict:
      return beast_http::status::conflict;
    case ErrorCode::payload_too_large:
      return beast_http::status::payload_too_large;
    case ErrorCode::too_many_requests:
      return beast_http::status::too_many_requests;
    case ErrorCode::internal:
      return beast_http::status::internal_server_error;
    case ErrorCode::unavailable:
      return beast_http::status::service_unavailable;
  }
  return beast_http::status::internal_server_error;
}

void bad_param(std::string_view name, std::string_view problem) {
  throw ApiError(ErrorCode::bad_request, std::string(name) + ": " + std::string(problem));
}

Response text_response(beast_http::status status, std::string body, std::string_view content_type) {
  Response response{status, 11};
  response.set(beast_http::field::content_type, content_type);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response json_response(beast_http::status status, const nlohmann::json& body) {
  // Replacing invalid UTF-8 keeps a stored payload with stray bytes from turning a listing into a 500.
  return json_response(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Response json_response(beast_http::status status, std::string serialised) {
  auto response = text_response(status, std::move(serialised), "application/json");
  // API answers are live state: a proxy or browser cache must not serve them again.
  response.set(beast_http::field::cache_control, "no-store");
  return response;
}

Response error_response(ErrorCode code, std::string_view message) {
  return json_response(status_of(code), {{"error", {{"code", to_string(code)}, {"message", message}}}});
}

}  // namespace sterifleet::http
