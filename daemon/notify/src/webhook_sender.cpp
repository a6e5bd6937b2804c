#include "sterifleet/notify/webhook_sender.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <utility>

#include "http_post.hpp"
#include "sterifleet/crypto/base64.hpp"
#include "sterifleet/crypto/hex.hpp"
#include "sterifleet/crypto/hmac.hpp"

namespace sterifleet::notify {

namespace {

using std::chrono::seconds;

constexpr std::string_view standard_secret_prefix = "whsec_";
constexpr seconds longest_retry_after{24 * 60 * 60};
constexpr std::size_t answer_body_limit = 200;

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The id becomes a header line and part of the signed content: a control character in it is a bug
// upstream, not something to send.
void require_header_safe(std::string_view id) {
  if (id.empty() || answer_line(id, id.size()) != id) throw std::logic_error("a delivery id is empty or not one line");
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<seconds>(when.time_since_epoch()).count();
}

}  // namespace

std::string webhook_body(const Delivery& delivery) {
  nlohmann::json notices = nlohmann::json::array();
  for (const auto& notice : delivery.notices) notices.push_back(to_json(notice));
  const nlohmann::json body = {
      {"type", "sterifleet.notification"}, {"delivery", delivery.id},       {"receiver", delivery.receiver},
      {"clinic", delivery.clinic},         {"notices", std::move(notices)},
  };
  try {
    return body.dump();
  } catch (const nlohmann::json::exception& e) {
    throw std::logic_error(std::string("a delivery cannot be written as JSON: ") + e.what());
  }
}

std::string webhook_signing_key(std::string_view secret) {
  if (!secret.starts_with(standard_secret_prefix)) return std::string(secret);
  auto key = crypto::from_base64(secret.substr(standard_secret_prefix.size()));
  // The message names the form, never the secret: this may reach a start-up log.
  if (!key) throw std::invalid_argument("a webhook secret starting whsec_ is not followed by base64");
  return std::move(*key);
}

WebhookSignatures sign_webhook(std::string_view secret, std::string_view id, std::int64_t unix_seconds,
                               std::string_view body) {
  const std::string key = webhook_signing_key(secret);
  WebhookSignatures out;
  out.timestamp = std::to_string(unix_seconds);
  std::string content;
  content.reserve(id.size() + out.timestamp.size() + body.size() + 2);
  content.append(id).append(".").append(out.timestamp).append(".").append(body);
  out.signature = "v1," + crypto::to_base64(crypto::hmac_sha256(key, content));
  out.hub_signature = "sha256=" + crypto::to_hex(crypto::hmac_sha256(key, body));
  return out;
}

std::optional<seconds> parse_retry_after(std::string_view value, std::time_t now) {
  value = trimmed(value);
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    std::uint64_t delta = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), delta);
    if (error == std::errc::result_out_of_range) return longest_retry_after;
    if (error != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return std::min(seconds(static_cast<seconds::rep>(std::min<std::uint64_t>(delta, 1ULL << 40))),
                    longest_retry_after);
  }
  // libcurl reads every date form HTTP allows (IMF-fixdate, RFC 850, asctime).
  const std::time_t date = curl_getdate(std::string(value).c_str(), nullptr);
  if (date == -1) return std::nullopt;
  return std::clamp(seconds(date - now), seconds(0), longest_retry_after);
}

SendResult webhook_result(int status, std::string_view body, std::optional<seconds> retry_after) {
  SendResult result;
  result.status = status;
  result.answer = "HTTP " + std::to_string(status);
  if (const std::string start = answer_line(body, answer_body_limit); !start.empty()) {
    result.answer += ": " + start;
  }
  if (status >= 200 && status < 300) {
    result.outcome = SendResult::Outcome::delivered;
  } else if (status == 410) {
    result.outcome = SendResult::Outcome::disabled;
  } else {
    result.outcome = SendResult::Outcome::retry;
    if (status == 429 || status >= 500) result.retry_after = retry_after;
  }
  return result;
}

WebhookSender::WebhookSender(WebhookReceiver receiver) : receiver_(std::move(receiver)) {
  // An empty key signs nothing anyone could not forge: refuse it rather than send unsigned-in-effect.
  if (webhook_signing_key(receiver_.secret).empty()) throw std::invalid_argument("a webhook secret is empty");
  // libcurl reads a zero timeout as none: a receiver that never answers would hold a sender thread forever.
  if (receiver_.timeout <= seconds(0)) throw std::invalid_argument("a webhook timeout must be positive");
}

SendResult WebhookSender::send(const Delivery& delivery) {
  require_header_safe(delivery.id);
  const std::string body = webhook_body(delivery);
  const auto signatures =
      sign_webhook(receiver_.secret, delivery.id, unix_seconds(std::chrono::system_clock::now()), body);
  const HttpReply reply = http_post({
      .url = receiver_.url,
      .headers = {"Content-Type: application/json", "webhook-id: " + delivery.id,
                  "webhook-timestamp: " + signatures.timestamp, "webhook-signature: " + signatures.signature,
                  "X-Hub-Signature-256: " + signatures.hub_signature},
      .body = body,
      .timeout = receiver_.timeout,
  });
  if (reply.status == 0) {
    SendResult result;
    result.answer = answer_line(reply.error, reply.error.size());
    return result;
  }
  std::optional<seconds> retry_after;
  if (reply.retry_after) {
    retry_after =
        parse_retry_after(*reply.retry_after, std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()));
  }
  return webhook_result(reply.status, reply.body_start, retry_after);
}

}  // namespace sterifleet::notify
