// The webhook receiver's transport: a delivery as one JSON POST, signed the Standard Webhooks way
// (webhook-id, webhook-timestamp, webhook-signature) and GitHub's way (X-Hub-Signature-256), and the
// receiver's answer turned into a SendResult. The pure parts are free functions so they test without HTTP.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "sterifleet/notify/receivers.hpp"
#include "sterifleet/notify/sender.hpp"

namespace sterifleet::notify {

/// {"type":"sterifleet.notification","delivery","receiver","clinic","notices":[...]}. Throws
/// std::logic_error when a notice cannot be written as JSON (a string that is not UTF-8).
std::string webhook_body(const Delivery& delivery);

/// The HMAC key a configured secret stands for: the base64-decoded bytes after "whsec_" (Standard
/// Webhooks), otherwise the secret's own bytes. Throws std::invalid_argument for "whsec_" followed by
/// something that is not base64: a configuration mistake to be refused at start.
std::string webhook_signing_key(std::string_view secret);

struct WebhookSignatures {
  std::string timestamp;      ///< webhook-timestamp: unix seconds
  std::string signature;      ///< webhook-signature: "v1,<base64 HMAC-SHA256 of id.timestamp.body>"
  std::string hub_signature;  ///< X-Hub-Signature-256: "sha256=<hex HMAC-SHA256 of body>"
};

/// Both signatures of `body` sent as message `id` at `unix_seconds`, keyed by webhook_signing_key(secret).
WebhookSignatures sign_webhook(std::string_view secret, std::string_view id, std::int64_t unix_seconds,
                               std::string_view body);

/// Retry-After as delta seconds or an HTTP date (then counted from `now`, none below zero), at most a
/// day: a receiver may not park our alerts longer. None when the value is neither.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::time_t now);

/// What an HTTP answer means for a webhook: 2xx delivered, 410 disabled, anything else retry (with
/// `retry_after` kept for 429 and 5xx, where it is the receiver asking to be spared). `answer` is
/// "HTTP <status>" and the start of the body on one line.
SendResult webhook_result(int status, std::string_view body, std::optional<std::chrono::seconds> retry_after);

/// Thread-safety: send() may be called from several threads at once (one libcurl handle per call).
class WebhookSender : public Sender {
 public:
  /// Throws std::invalid_argument when the secret is empty, a "whsec_" secret is not base64 or the
  /// timeout is not positive.
  explicit WebhookSender(WebhookReceiver receiver);

  /// One POST with a fresh webhook-timestamp; webhook-id is the delivery's id, so the receiver can drop
  /// a retried delivery it already took.
  SendResult send(const Delivery& delivery) override;

 private:
  WebhookReceiver receiver_;
};

}  // namespace sterifleet::notify
