#include "http_receiver.hpp"

#include <sys/socket.h>

// GCC 12 at -O3 reports null dereferences inside Asio's scheduler (false positives in third-party code).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#pragma GCC diagnostic pop
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace sterifleet::testing {

namespace net = boost::asio;
namespace http = boost::beast::http;
using net::ip::tcp;

namespace {

constexpr std::uint64_t request_body_limit = 4 * 1024 * 1024;

RecordedRequest recorded(const http::request<http::string_body>& request) {
  RecordedRequest out;
  out.method = std::string(request.method_string());
  out.target = std::string(request.target());
  for (const auto& field : request) out.headers.emplace_back(field.name_string(), field.value());
  out.body = request.body();
  return out;
}

}  // namespace

std::optional<std::string> RecordedRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (boost::beast::iequals(key, name)) return value;
  }
  return std::nullopt;
}

// The serving thread alone touches the acceptor and sockets as asio objects. The destructor only calls
// shutdown(2) on their descriptors, which the kernel allows from any thread and which wakes a blocked
// accept or read: synchronous Beast has no other way to be interrupted.
struct HttpReceiver::Server {
  net::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)};
  unsigned short port = acceptor.local_endpoint().port();

  mutable std::mutex mutex;
  mutable std::condition_variable changed;  // a request arrived, or stopping
  std::deque<ScriptedReply> script;
  ScriptedReply after_script;
  std::vector<RecordedRequest> requests;
  bool stopping = false;
  int connection_fd = -1;  // the connection being served, for the destructor to shut down

  std::thread thread;

  void serve() {
    for (;;) {
      tcp::socket socket(io);
      boost::system::error_code ec;
      acceptor.accept(socket, ec);
      {
        const std::lock_guard lock(mutex);
        if (stopping) return;
        if (!ec) connection_fd = socket.native_handle();
      }
      if (!ec) answer(socket);
      const std::lock_guard lock(mutex);
      connection_fd = -1;
    }  // the socket closes here, after connection_fd stopped naming it
  }

  void answer(tcp::socket& socket) {
    boost::beast::flat_buffer buffer;
    http::request_parser<http::string_body> parser;
    parser.body_limit(request_body_limit);
    boost::system::error_code ec;
    http::read(socket, buffer, parser, ec);
    if (ec) return;
    const auto& request = parser.get();
    const ScriptedReply reply = record_and_take_reply(recorded(request));
    if (!wait_unless_stopping(reply.delay)) return;
    http::response<http::string_body> response{static_cast<http::status>(reply.status), request.version()};
    for (const auto& [name, value] : reply.headers) response.set(name, value);
    response.body() = reply.body;
    response.keep_alive(false);
    response.prepare_payload();
    http::write(socket, response, ec);  // a client that gave up waiting is not the server's failure
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }

  ScriptedReply record_and_take_reply(RecordedRequest request) {
    const std::lock_guard lock(mutex);
    requests.push_back(std::move(request));
    changed.notify_all();
    if (script.empty()) return after_script;
    ScriptedReply next = std::move(script.front());
    script.pop_front();
    return next;
  }

  bool wait_unless_stopping(std::chrono::milliseconds delay) {
    std::unique_lock lock(mutex);
    return !changed.wait_for(lock, delay, [this] { return stopping; });
  }

  void stop() {
    {
      const std::lock_guard lock(mutex);
      stopping = true;
      ::shutdown(acceptor.native_handle(), SHUT_RDWR);
      if (connection_fd >= 0) ::shutdown(connection_fd, SHUT_RDWR);
      changed.notify_all();
    }
    thread.join();
  }
};

HttpReceiver::HttpReceiver(std::vector<ScriptedReply> script, ScriptedReply after_script)
    : server_(std::make_unique<Server>()) {
  server_->script.assign(std::make_move_iterator(script.begin()), std::make_move_iterator(script.end()));
  server_->after_script = std::move(after_script);
  server_->thread = std::thread([server = server_.get()] { server->serve(); });
}

HttpReceiver::~HttpReceiver() { server_->stop(); }

unsigned short HttpReceiver::port() const { return server_->port; }

std::string HttpReceiver::url(std::string_view target) const {
  return "http://127.0.0.1:" + std::to_string(port()) + std::string(target);
}

void HttpReceiver::append(ScriptedReply reply) {
  const std::lock_guard lock(server_->mutex);
  server_->script.push_back(std::move(reply));
}

std::vector<RecordedRequest> HttpReceiver::requests() const {
  const std::lock_guard lock(server_->mutex);
  return server_->requests;
}

bool HttpReceiver::wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(server_->mutex);
  return server_->changed.wait_for(lock, timeout, [&] { return server_->requests.size() >= count; });
}

}  // namespace sterifleet::testing
