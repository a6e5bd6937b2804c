// A blocking HTTP/1.1 GET (or POST) for integration tests against a real server on the loopback interface: one
// connection per call, a bound on the whole exchange, and "nothing answered" as a value rather than an
// exception, so readiness can be polled while the server is still starting.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

namespace sterifleet::testing {

struct HttpResponse {
  int status = 0;  ///< 0: nothing answered (refused, reset, timed out or a failed TLS handshake)
  std::string body;
  std::string error;  ///< why nothing answered
};

/// GET http://127.0.0.1:<port><target>, with "Authorization: Bearer <token>" when a token is given; with
/// `https_ca`, GET https://127.0.0.1:... instead, trusting only that CA and checking the certificate
/// names 127.0.0.1.
HttpResponse http_get(int port, const std::string& target, const std::string& token = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds{10},
                      const std::filesystem::path& https_ca = {});

/// POST http://127.0.0.1:<port><target> with a JSON body, the same way.
HttpResponse http_post(int port, const std::string& target, const std::string& body, const std::string& token = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds{30});

}  // namespace sterifleet::testing
