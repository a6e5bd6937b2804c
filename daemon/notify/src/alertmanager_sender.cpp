// One blocking POST of a delivery's postableAlerts (http_post.hpp), and the reading of Alertmanager's
// answer: 200 with an empty body, or 400 with a JSON string saying what it refused.
#include "sterifleet/notify/alertmanager_sender.hpp"

#include <fmt/format.h>

#include <ctime>
#include <string>

#include "http_post.hpp"
#include "sterifleet/notify/webhook_sender.hpp"

namespace sterifleet::notify {

namespace {

// An answer is one log line: Alertmanager's error texts are short, an HTML error page from a proxy is not.
constexpr std::size_t answer_limit = 300;

// Alertmanager writes its refusals as a JSON string ("start time must be before end time"); anything
// else (a proxy's page) is shown as it came.
std::string error_text(const std::string& body) {
  const auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  return answer_line(parsed.is_string() ? parsed.get<std::string>() : body, answer_limit);
}

std::string endpoint_of(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + "/api/v2/alerts";
}

SendResult outcome_of(const HttpReply& reply, std::size_t alerts) {
  SendResult result;
  result.status = reply.status;
  if (reply.status == 0) {
    // The URL stays out of the answer: it may carry credentials (http://user:password@host).
    result.answer = answer_line(fmt::format("no answer from Alertmanager: {}", reply.error), answer_limit);
    return result;
  }
  // Alertmanager answers 200; a proxy in front of it may say 202 or 204, which take the alerts just as well.
  if (reply.status >= 200 && reply.status < 300) {
    result.outcome = SendResult::Outcome::delivered;
    result.answer = fmt::format("Alertmanager took {} alert(s)", alerts);
    return result;
  }
  // Every refusal is retried: a 4xx here means our rendering or the URL is wrong, which a fix and a
  // restart repair, and dropping an alert about patient safety silently would be worse than a stuck row.
  if (reply.retry_after) result.retry_after = parse_retry_after(*reply.retry_after, std::time(nullptr));
  result.answer = fmt::format("Alertmanager answered {}: {}", reply.status, error_text(reply.body_start));
  return result;
}

}  // namespace

Timestamp AlertmanagerSender::system_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

AlertmanagerSender::AlertmanagerSender(AlertmanagerReceiver receiver, Clock clock)
    : receiver_(std::move(receiver)), clock_(std::move(clock)), endpoint_(endpoint_of(receiver_.url)) {}

SendResult AlertmanagerSender::send(const Delivery& delivery) {
  // Invalid UTF-8 in a summary (device text) becomes U+FFFD rather than an exception mid-delivery.
  HttpPost post;
  post.url = endpoint_;
  post.headers = {"Content-Type: application/json", "Accept: application/json"};
  post.body = postable_alerts(delivery, clock_()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  post.timeout = receiver_.timeout;
  return outcome_of(http_post(post), delivery.notices.size());
}

}  // namespace sterifleet::notify
