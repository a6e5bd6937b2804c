// One blocking HTTP(S) POST through libcurl with what a notification transport needs of the answer.
// Separate from any receiver's format so each HTTP receiver only builds headers and reads the result.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sterifleet::notify {

struct HttpPost {
  std::string url;                   ///< http:// or https:// only; redirects are not followed
  std::vector<std::string> headers;  ///< "Name: value" lines
  std::string body;
  std::chrono::milliseconds timeout{15'000};  ///< for the whole transfer, connecting included
};

struct HttpReply {
  int status = 0;                          ///< 0 when no answer came (see error)
  std::string body_start;                  ///< at most the first kilobyte: enough to explain a refusal
  std::optional<std::string> retry_after;  ///< the Retry-After header, as sent
  std::string error;                       ///< libcurl's explanation when status is 0
};

/// Never throws for the network's or the server's failures: they come back as status 0 and an error.
HttpReply http_post(const HttpPost& post);

/// A receiver's words as one line of a SendResult's answer: at most `limit` octets, cut where UTF-8
/// allows, control characters as spaces (an error page cannot forge further lines in our log), trimmed.
std::string answer_line(std::string_view text, std::size_t limit);

}  // namespace sterifleet::notify
