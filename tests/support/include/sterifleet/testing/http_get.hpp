// A blocking HTTP/1.1 GET for integration tests against a real server on the loopback interface: one
// connection per call, a bound on the whole exchange, and "nothing answered" as a value rather than an
// exception, so readiness can be polled while the server is still starting.
#pragma once

#include <chrono>
#include <string>

namespace sterifleet::testing {

struct HttpResponse {
  int status = 0;  ///< 0: nothing answered (refused, reset or timed out)
  std::string body;
  std::string error;  ///< why nothing answered
};

/// GET http://127.0.0.1:<port><target>, with "Authorization: Bearer <token>" when a token is given.
HttpResponse http_get(int port, const std::string& target, const std::string& token = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds{10});

}  // namespace sterifleet::testing
