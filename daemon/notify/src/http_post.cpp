#include "http_post.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <new>

#include "curl_global.hpp"

namespace sterifleet::notify {

namespace {

constexpr std::size_t body_start_limit = 1024;

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using HeaderList = std::unique_ptr<curl_slist, ListDeleter>;

// Keeps the start of the answer and swallows the rest: a receiver's error page must not grow our memory,
// and refusing the rest (returning less) would turn an answer into a transport error.
std::size_t keep_body_start(char* data, std::size_t size, std::size_t count, void* user) {
  auto& kept = *static_cast<std::string*>(user);
  const std::size_t length = size * count;
  if (kept.size() < body_start_limit) kept.append(data, std::min(length, body_start_limit - kept.size()));
  return length;
}

HeaderList header_list(const std::vector<std::string>& headers) {
  HeaderList list;
  for (const auto& header : headers) {
    curl_slist* const longer = curl_slist_append(list.get(), header.c_str());
    if (!longer) throw std::bad_alloc();
    (void)list.release();  // now owned by `longer`
    list.reset(longer);
  }
  return list;
}

std::optional<std::string> response_header(CURL* easy, const char* name) {
  curl_header* header = nullptr;
  if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK || !header) return std::nullopt;
  return std::string(header->value);
}

// Every option is set even after one fails, and the first failure is what the caller is told:
// an option libcurl refuses is a broken build, reported like a transport error rather than thrown
// into the dispatcher.
class Options {
 public:
  explicit Options(CURL* easy) : easy_(easy) {}
  template <typename Value>
  Options& set(CURLoption option, Value value) {
    const CURLcode code = curl_easy_setopt(easy_, option, value);
    if (first_failure_ == CURLE_OK) first_failure_ = code;
    return *this;
  }
  CURLcode first_failure() const { return first_failure_; }

 private:
  CURL* easy_;
  CURLcode first_failure_ = CURLE_OK;
};

}  // namespace

std::string answer_line(std::string_view text, std::size_t limit) {
  if (text.size() > limit) {
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text = text.substr(0, end);
  }
  std::string line(text);
  std::replace_if(
      line.begin(), line.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }, ' ');
  const auto first = line.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return line.substr(first, line.find_last_not_of(' ') - first + 1);
}

HttpReply http_post(const HttpPost& post) {
  ensure_curl_initialised();
  HttpReply reply;
  const Easy easy(curl_easy_init());
  if (!easy) {
    reply.error = "libcurl could not create a transfer";
    return reply;
  }
  // "Expect:" stops libcurl asking for 100-continue before a large body: a server that does not answer
  // it would cost every delivery a second.
  std::vector<std::string> lines = post.headers;
  lines.emplace_back("Expect:");
  const HeaderList headers = header_list(lines);
  char error[CURL_ERROR_SIZE] = {};
  Options options(easy.get());
  options.set(CURLOPT_URL, post.url.c_str())
      .set(CURLOPT_PROTOCOLS_STR, "http,https")
      .set(CURLOPT_FOLLOWLOCATION, 0L)
      .set(CURLOPT_NOSIGNAL, 1L)  // the timeout must not use SIGALRM: we are one thread among many
      .set(CURLOPT_TIMEOUT_MS, static_cast<long>(post.timeout.count()))
      .set(CURLOPT_USERAGENT, "sterifleet")
      .set(CURLOPT_POST, 1L)
      .set(CURLOPT_POSTFIELDS, post.body.data())
      .set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post.body.size()))
      .set(CURLOPT_HTTPHEADER, headers.get())
      .set(CURLOPT_WRITEFUNCTION, &keep_body_start)
      .set(CURLOPT_WRITEDATA, &reply.body_start)
      .set(CURLOPT_ERRORBUFFER, error);
  if (options.first_failure() != CURLE_OK) {
    reply.error = std::string("libcurl refused an option: ") + curl_easy_strerror(options.first_failure());
    return reply;
  }
  if (const CURLcode code = curl_easy_perform(easy.get()); code != CURLE_OK) {
    reply.error = error[0] != '\0' ? error : curl_easy_strerror(code);
    reply.body_start.clear();
    return reply;
  }
  long status = 0;
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
  reply.status = static_cast<int>(status);
  reply.retry_after = response_header(easy.get(), "Retry-After");
  return reply;
}

}  // namespace sterifleet::notify
