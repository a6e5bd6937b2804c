// One blocking POST of a delivery's postableAlerts with a libcurl easy handle of its own, and the reading
// of Alertmanager's answer: 200 with an empty body, or 400 with a JSON string saying what it refused.
#include "sterifleet/notify/alertmanager_sender.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>

#include "curl_global.hpp"

namespace sterifleet::notify {

namespace {

// An answer is one log line: Alertmanager's error texts are short, an HTML error page from a proxy is not.
constexpr std::size_t answer_limit = 300;
constexpr std::size_t body_limit = 64 * 1024;

struct EasyDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

void append(std::unique_ptr<curl_slist, ListDeleter>& list, const char* line) {
  if (curl_slist* longer = curl_slist_append(list.get(), line)) {
    (void)list.release();  // the same list, grown: owned again just below
    list.reset(longer);
  }
}

std::size_t collect_body(char* data, std::size_t size, std::size_t count, void* out) {
  auto& body = *static_cast<std::string*>(out);
  const std::size_t bytes = size * count;
  body.append(data, std::min(bytes, body_limit - std::min(body_limit, body.size())));
  return bytes;
}

std::string one_line(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }, ' ');
  const auto first = text.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  text = text.substr(first, text.find_last_not_of(' ') - first + 1);
  if (text.size() > answer_limit) text = text.substr(0, answer_limit) + "...";
  return text;
}

// Alertmanager writes its refusals as a JSON string ("start time must be before end time"); anything
// else (a proxy's page) is shown as it came.
std::string error_text(const std::string& body) {
  const auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  return one_line(parsed.is_string() ? parsed.get<std::string>() : body);
}

std::string endpoint_of(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + "/api/v2/alerts";
}

SendResult outcome_of(long status, const std::string& body, curl_off_t retry_after, std::size_t alerts) {
  SendResult result;
  result.status = static_cast<int>(status);
  // Alertmanager answers 200; a proxy in front of it may say 202 or 204, which take the alerts just as well.
  if (status >= 200 && status < 300) {
    result.outcome = SendResult::Outcome::delivered;
    result.answer = fmt::format("Alertmanager took {} alert(s)", alerts);
    return result;
  }
  // Every refusal is retried: a 4xx here means our rendering or the URL is wrong, which a fix and a
  // restart repair, and dropping an alert about patient safety silently would be worse than a stuck row.
  result.outcome = SendResult::Outcome::retry;
  if (retry_after > 0) result.retry_after = std::chrono::seconds{retry_after};
  result.answer = fmt::format("Alertmanager answered {}: {}", status, error_text(body));
  return result;
}

}  // namespace

Timestamp AlertmanagerSender::system_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

AlertmanagerSender::AlertmanagerSender(AlertmanagerReceiver receiver, Clock clock)
    : receiver_(std::move(receiver)), clock_(std::move(clock)), endpoint_(endpoint_of(receiver_.url)) {
  ensure_curl_initialised();
}

SendResult AlertmanagerSender::send(const Delivery& delivery) {
  // Invalid UTF-8 in a summary (device text) becomes U+FFFD rather than an exception mid-delivery.
  const std::string payload =
      postable_alerts(delivery, clock_()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  const std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
  if (!curl) return SendResult{SendResult::Outcome::retry, 0, std::nullopt, "libcurl could not make a handle"};
  std::unique_ptr<curl_slist, ListDeleter> headers;
  append(headers, "Content-Type: application/json");
  append(headers, "Accept: application/json");
  // No "Expect: 100-continue" round trip for bodies over 1 KiB: Alertmanager answers at once anyway.
  append(headers, "Expect:");

  std::string body;
  char error[CURL_ERROR_SIZE] = {};
  const long timeout_ms = static_cast<long>(std::chrono::milliseconds(receiver_.timeout).count());
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, endpoint_.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // several sender threads: no SIGALRM for name look-ups
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "sterifleetd");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &collect_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);

  if (const CURLcode code = curl_easy_perform(h); code != CURLE_OK) {
    // The URL stays out of the answer: it may carry credentials (http://user:password@host).
    const std::string why = error[0] != '\0' ? error : curl_easy_strerror(code);
    return SendResult{SendResult::Outcome::retry, 0, std::nullopt,
                      one_line(fmt::format("no answer from Alertmanager: {}", why))};
  }
  long status = 0;
  curl_off_t retry_after = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after);
  return outcome_of(status, body, retry_after, delivery.notices.size());
}

}  // namespace sterifleet::notify
