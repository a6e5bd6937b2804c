// The seam between the dispatcher and a receiver's transport (HTTP for Alertmanager and webhooks,
// SMTP for email): one blocking send of one delivery, and what came of it.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "sterifleet/notify/notice.hpp"

namespace sterifleet::notify {

struct SendResult {
  enum class Outcome {
    delivered,  ///< the receiver took it (HTTP 2xx, SMTP 250 for every recipient)
    retry,      ///< not taken now (timeout, refused connection, 429, 5xx, a 4xx): try again later
    disabled,   ///< the receiver asked never to be sent to again (webhook 410)
  };
  Outcome outcome = Outcome::retry;
  int status = 0;                                   ///< HTTP status or SMTP reply code; 0 when no answer came
  std::optional<std::chrono::seconds> retry_after;  ///< what the receiver asked for (Retry-After)
  std::string answer;  ///< the receiver's reply or the transport's error, one line, without secrets
};

/// Thread-safety: send() may be called from several threads at once.
class Sender {
 public:
  virtual ~Sender() = default;
  /// Blocks until the receiver answered or the receiver's timeout passed. Never throws for the
  /// receiver's failures (they are a SendResult); throws std::logic_error for a delivery it cannot
  /// render (a programming mistake).
  virtual SendResult send(const Delivery& delivery) = 0;
};

}  // namespace sterifleet::notify
