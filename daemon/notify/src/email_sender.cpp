#include "sterifleet/notify/email_sender.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "curl_global.hpp"
#include "mail_text.hpp"

namespace sterifleet::notify {

namespace {

using Easy = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using List = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

/// The message libcurl uploads after DATA (it does the dot-stuffing itself).
struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

/// The server's words for the answer: its last reply, and its last refusal (4xx, 5xx), which a failed
/// transfer reports rather than the "221 Bye" that follows it.
struct Replies {
  std::string last;
  std::string last_refusal;
};

/// Reads libcurl's trace for the replies. Only what came in: what went out carries the AUTH credentials.
int keep_replies(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  std::string_view line(data, size);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.empty()) return 0;
  auto* replies = static_cast<Replies*>(user);
  replies->last = std::string(line.substr(0, 300));
  if (line.front() == '4' || line.front() == '5') replies->last_refusal = replies->last;
  return 0;
}

/// Everything a transfer needs besides the handle, alive until curl_easy_perform returns.
struct Transfer {
  Upload upload;
  std::string mail_from;
  List recipients{nullptr, &curl_slist_free_all};
  char errors[CURL_ERROR_SIZE] = {};
  Replies replies;
};

CURLcode configure(CURL* curl, const EmailReceiver& settings, Transfer& transfer) {
  CURLcode code = CURLE_OK;
  const auto set = [&code](CURLcode result) {
    if (code == CURLE_OK) code = result;
  };
  set(curl_easy_setopt(curl, CURLOPT_URL, settings.smtp_url.c_str()));
  set(curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps"));
  set(curl_easy_setopt(curl, CURLOPT_MAIL_FROM, transfer.mail_from.c_str()));
  set(curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, transfer.recipients.get()));
  set(curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L));
  set(curl_easy_setopt(curl, CURLOPT_READFUNCTION, &read_upload));
  set(curl_easy_setopt(curl, CURLOPT_READDATA, &transfer.upload));
  set(curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(transfer.upload.data.size())));
  // CURLUSESSL_ALL fails the transfer before MAIL FROM when the server offers no STARTTLS: nothing,
  // credentials included, travels in clear.
  set(curl_easy_setopt(curl, CURLOPT_USE_SSL,
                       static_cast<long>(settings.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY)));
  if (!settings.username.empty()) {
    set(curl_easy_setopt(curl, CURLOPT_USERNAME, settings.username.c_str()));
    set(curl_easy_setopt(curl, CURLOPT_PASSWORD, settings.password.c_str()));
  }
  if (!settings.ca_file.empty()) set(curl_easy_setopt(curl, CURLOPT_CAINFO, settings.ca_file.c_str()));
  set(curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, settings.verify ? 1L : 0L));
  set(curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, settings.verify ? 2L : 0L));
  // Senders run on several threads: no SIGALRM for the resolver's timeout.
  set(curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.timeout.count() * 1000)));
  set(curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, transfer.errors));
  // The trace goes to keep_replies only (never to stderr): it is how the server's words reach the answer.
  set(curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, &keep_replies));
  set(curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &transfer.replies));
  set(curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L));
  return code;
}

/// One line without the password, whatever a server or libcurl chose to echo.
std::string safe_answer(std::string text, const std::string& password) {
  for (auto& c : text) c = (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
  if (!password.empty()) {
    constexpr std::string_view hidden = "[password]";
    // Searching on after the replacement: a password that occurs in "[password]" must not loop forever.
    for (auto at = text.find(password); at != std::string::npos; at = text.find(password, at + hidden.size())) {
      text.replace(at, password.size(), hidden);
    }
  }
  return text.substr(0, 500);
}

std::string failure_text(CURLcode code, const Transfer& transfer, const EmailReceiver& settings) {
  const std::string detail = transfer.errors[0] != '\0' ? transfer.errors : curl_easy_strerror(code);
  const auto& replies = transfer.replies;
  const std::string reply = !replies.last_refusal.empty() ? "server said: " + replies.last_refusal
                            : replies.last.empty()        ? "no reply"
                                                          : "last reply: " + replies.last;
  switch (code) {
    case CURLE_LOGIN_DENIED:
      return "the SMTP server refused authentication as " + settings.username + " (" + reply + ")";
    case CURLE_USE_SSL_FAILED:
      return "TLS is required but the SMTP server did not start it (" + detail + "): nothing was sent";
    default:
      return detail + " (" + reply + ")";
  }
}

void check_address(std::string_view what, const std::string& mailbox) {
  if (!mail::printable_ascii(mailbox) || mail::address_of(mailbox).empty()) {
    throw std::invalid_argument("email receiver: " + std::string(what) + " \"" + mail::header_text(mailbox, 200) +
                                "\" is not a printable ASCII address");
  }
}

}  // namespace

EmailSender::EmailSender(EmailReceiver settings, Clock clock)
    : settings_(std::move(settings)), clock_(std::move(clock)) {
  const auto& url = settings_.smtp_url;
  if (!url.starts_with("smtp://") && !url.starts_with("smtps://")) {
    throw std::invalid_argument("email receiver: smtp_url must start with smtp:// or smtps://");
  }
  check_address("from", settings_.from);
  if (settings_.to.empty()) throw std::invalid_argument("email receiver: no recipient (to)");
  for (const auto& to : settings_.to) check_address("to", to);
  if (!clock_) clock_ = [] { return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()); };
}

SendResult EmailSender::send(const Delivery& delivery) {
  ensure_curl_initialised();
  const std::string message = email_message(delivery, settings_, clock_());
  Transfer transfer;
  transfer.upload.data = message;
  transfer.mail_from = mail::address_of(settings_.from);
  for (const auto& to : settings_.to) {
    curl_slist* grown = curl_slist_append(transfer.recipients.get(), mail::address_of(to).c_str());
    if (grown == nullptr) return {SendResult::Outcome::retry, 0, std::nullopt, "out of memory for the recipients"};
    (void)transfer.recipients.release();
    transfer.recipients.reset(grown);
  }
  const Easy curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return {SendResult::Outcome::retry, 0, std::nullopt, "libcurl could not create a handle"};
  if (const CURLcode code = configure(curl.get(), settings_, transfer); code != CURLE_OK) {
    return {SendResult::Outcome::retry, 0, std::nullopt,
            std::string("libcurl refused an SMTP setting: ") + curl_easy_strerror(code)};
  }
  const CURLcode code = curl_easy_perform(curl.get());
  long reply = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply);
  const int status = static_cast<int>(reply);
  if (code == CURLE_OK) {
    return {SendResult::Outcome::delivered, status, std::nullopt,
            safe_answer(transfer.replies.last, settings_.password)};
  }
  return {SendResult::Outcome::retry, status, std::nullopt,
          safe_answer(failure_text(code, transfer, settings_), settings_.password)};
}

}  // namespace sterifleet::notify
