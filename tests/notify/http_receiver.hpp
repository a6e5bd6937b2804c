// A scripted HTTP server for the tests of anything that POSTs to a receiver (the webhook sender,
// Alertmanager's own webhook receiver): it answers a list of replies in order and records every request.
// Listens on 127.0.0.1 on a port the system picks, so tests run side by side.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sterifleet::testing {

struct ScriptedReply {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers{};  ///< extra headers, e.g. {"Retry-After", "7"}
  std::string body{};
  std::chrono::milliseconds delay{0};  ///< how long to sit on the request before answering (timeouts)
};

struct RecordedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  ///< as received, in order
  std::string body;

  /// The first header of that name (any case), or none.
  std::optional<std::string> header(std::string_view name) const;
};

/// Serves one connection at a time on its own thread, one request per connection (it answers
/// "Connection: close"), so a client keeping connections alive cannot hold the only thread. A request is
/// recorded as soon as it is read, before any delay. When the script is used up, `after_script` answers.
/// Thread-safety: every member may be called from any thread. The destructor cuts a delay short.
class HttpReceiver {
 public:
  explicit HttpReceiver(std::vector<ScriptedReply> script = {}, ScriptedReply after_script = {});
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  unsigned short port() const;
  /// "http://127.0.0.1:<port><target>".
  std::string url(std::string_view target = "/") const;

  /// Adds a reply to the end of the script.
  void append(ScriptedReply reply);

  std::vector<RecordedRequest> requests() const;
  /// True once at least `count` requests arrived; false when `timeout` passed first.
  bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const;

 private:
  struct Server;
  std::unique_ptr<Server> server_;
};

}  // namespace sterifleet::testing
