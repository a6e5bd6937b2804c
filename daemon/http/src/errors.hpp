// The API's one error format, {"error":{"code","message"}}, and JSON responses. Handlers throw
// ApiError for anything the caller got wrong; the dispatcher turns it into the response.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sterifleet/http/api.hpp"

namespace sterifleet::http {

namespace beast_http = boost::beast::http;

/// Stable codes, part of the API: clients branch on them.
enum class ErrorCode {
  bad_request,
  unauthorized,
  forbidden,
  not_found,
  method_not_allowed,
  conflict,
  payload_too_large,
  too_many_requests,
  internal,
  unavailable,
};

std::string_view to_string(ErrorCode code) noexcept;
beast_http::status status_of(ErrorCode code) noexcept;

class ApiError : public std::runtime_error {
 public:
  ApiError(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

/// 400 naming the parameter: bad_param("limit", "must be an integer from 1 to 1000").
[[noreturn]] void bad_param(std::string_view name, std::string_view problem);

Response json_response(beast_http::status status, const nlohmann::json& body);
/// The same for a body already serialised as JSON.
Response json_response(beast_http::status status, std::string serialised);
Response error_response(ErrorCode code, std::string_view message);
/// Raw text (metrics, static files) with a content type.
Response text_response(beast_http::status status, std::string body, std::string_view content_type);

}  // namespace sterifleet::http
