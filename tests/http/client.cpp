// GCC 12 at -O2 reports null dereferences inside Asio's scheduler, instantiated here (false positives
// in third-party code, first read through this include); -Wnull-dereference stays for ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include "client.hpp"
#pragma GCC diagnostic pop

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <stdexcept>

namespace sterifleet::http::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

constexpr std::chrono::seconds io_timeout{10};

// Beast's timeouts apply to asynchronous operations only: every step runs async, then drives the loop.
void run(net::io_context& io) {
  io.restart();
  io.run();
}

void check(const beast::error_code& ec, const char* what) {
  if (ec) throw beast::system_error(ec, what);
}

}  // namespace

Client::Client(std::uint16_t port, net::ssl::context* tls) {
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
  beast::error_code ec;
  if (tls) {
    tls_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, *tls);
    tls_->set_verify_mode(net::ssl::verify_peer);
    tls_->set_verify_callback(net::ssl::host_name_verification("127.0.0.1"));
    beast::get_lowest_layer(*tls_).expires_after(io_timeout);
    beast::get_lowest_layer(*tls_).async_connect(endpoint, [&](beast::error_code e) { ec = e; });
    run(io_);
    check(ec, "connect");
    tls_->async_handshake(net::ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
    run(io_);
    check(ec, "tls handshake");
  } else {
    plain_ = std::make_unique<beast::tcp_stream>(io_);
    plain_->expires_after(io_timeout);
    plain_->async_connect(endpoint, [&](beast::error_code e) { ec = e; });
    run(io_);
    check(ec, "connect");
  }
}

Client::~Client() {
  beast::error_code ignored;
  if (plain_) plain_->socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
}

template <class F>
decltype(auto) Client::with_stream(F&& f) {
  if (tls_) return f(*tls_);
  return f(*plain_);
}

ClientResponse Client::request(bhttp::verb method, const std::string& target, const std::string& token,
                               const std::string& body, const std::map<std::string, std::string>& headers) {
  bhttp::request<bhttp::string_body> request{method, target, 11};
  request.set(bhttp::field::host, "127.0.0.1");
  if (!token.empty()) request.set(bhttp::field::authorization, "Bearer " + token);
  if (!body.empty()) request.set(bhttp::field::content_type, "application/json");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  return with_stream([&](auto& stream) {
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(io_timeout);
    bhttp::async_write(stream, request, [&](beast::error_code e, std::size_t) { ec = e; });
    run(io_);
    check(ec, "write request");
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    beast::get_lowest_layer(stream).expires_after(io_timeout);
    bhttp::async_read(stream, buffer_, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    run(io_);
    check(ec, "read response");
    return parser.release();
  });
}

void Client::write_raw(const std::string& bytes) {
  with_stream([&](auto& stream) {
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(io_timeout);
    net::async_write(stream, net::buffer(bytes), [&](beast::error_code e, std::size_t) { ec = e; });
    run(io_);
    check(ec, "write");
  });
}

std::string Client::read_some(std::chrono::milliseconds timeout, bool* closed) {
  if (buffer_.size() > 0) {
    std::string out = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    return out;
  }
  return with_stream([&](auto& stream) {
    char data[8192];
    beast::error_code ec;
    std::size_t n = 0;
    beast::get_lowest_layer(stream).expires_after(timeout);
    stream.async_read_some(net::buffer(data), [&](beast::error_code e, std::size_t bytes) {
      ec = e;
      n = bytes;
    });
    run(io_);
    if (ec && ec != beast::error::timeout && closed) *closed = true;
    return std::string(data, n);
  });
}

std::string Client::read_until(const std::string& needle, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string seen;
  while (seen.find(needle) == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("timed out waiting for \"" + needle + "\"; got: " + seen);
    bool closed = false;
    seen += read_some(left, &closed);
    if (closed) throw std::runtime_error("closed while waiting for \"" + needle + "\"; got: " + seen);
  }
  return seen;
}

bool Client::closed_by_peer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    bool closed = false;
    const auto got = read_some(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()), &closed);
    if (closed) return true;
    // Nothing within the time: the timeout closed our end, and a further read would fail as if the
    // server had closed it.
    if (got.empty()) return false;
  }
  return false;
}

nlohmann::json json_of(const ClientResponse& response) {
  auto parsed = nlohmann::json::parse(response.body(), nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << "not JSON: " << response.body();
  return parsed;
}

std::string error_message(const ClientResponse& response) {
  const auto body = json_of(response);
  return body.is_object() && body.contains("error") ? body["error"].value("message", "") : "";
}

std::string error_code(const ClientResponse& response) {
  const auto body = json_of(response);
  return body.is_object() && body.contains("error") ? body["error"].value("code", "") : "";
}

}  // namespace sterifleet::http::testing
