#include "sterifleet/testing/http_get.hpp"

// GCC 12 at -O2 reports null dereferences inside Asio's scheduler and reactor, instantiated here (false
// positives in third-party code, whose own checks it cannot follow); keep -Wnull-dereference for ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#pragma GCC diagnostic pop

namespace sterifleet::testing {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

namespace {

HttpResponse exchange_one(int port, bhttp::verb method, const std::string& target, const std::string& body,
                          const std::string& token, std::chrono::milliseconds timeout,
                          const std::filesystem::path& https_ca) {
  constexpr const char* loopback = "127.0.0.1";
  // Beast's timeouts work on asynchronous operations only: each step runs async and drives the loop.
  boost::asio::io_context io;
  ssl::context trust(ssl::context::tls_client);
  if (!https_ca.empty()) {
    trust.load_verify_file(https_ca.string());
    trust.set_verify_mode(ssl::verify_peer);
    trust.set_verify_callback(ssl::host_name_verification(loopback));
  }
  // Plain HTTP uses the TCP stream under the TLS one and never starts TLS.
  beast::ssl_stream<beast::tcp_stream> tls(io, trust);
  beast::tcp_stream& plain = beast::get_lowest_layer(tls);
  plain.expires_after(timeout);
  HttpResponse out;
  const auto fail = [&](beast::error_code ec, const char* what) {
    if (!ec) return false;
    out.error = std::string(what) + ": " + ec.message();
    return true;
  };
  bhttp::request<bhttp::string_body> request{method, target, 11};
  request.set(bhttp::field::host, loopback);
  if (method != bhttp::verb::get) {
    request.set(bhttp::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
  }
  request.set(bhttp::field::connection, "close");
  if (!token.empty()) request.set(bhttp::field::authorization, "Bearer " + token);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  const auto exchange = [&](auto& stream) {
    bhttp::async_write(stream, request, [&](beast::error_code wec, std::size_t) {
      if (fail(wec, "write")) return;
      bhttp::async_read(stream, buffer, parser, [&](beast::error_code rec, std::size_t) {
        if (fail(rec, "read")) return;
        out.status = static_cast<int>(parser.get().result_int());
        out.body = std::move(parser.get().body());
      });
    });
  };
  const tcp::endpoint endpoint(boost::asio::ip::make_address(loopback), static_cast<unsigned short>(port));
  plain.async_connect(endpoint, [&](beast::error_code ec) {
    if (fail(ec, "connect")) return;
    if (https_ca.empty()) return exchange(plain);
    tls.async_handshake(ssl::stream_base::client, [&](beast::error_code hec) {
      if (fail(hec, "tls handshake")) return;
      exchange(tls);
    });
  });
  io.run();
  beast::error_code ignored;
  plain.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace

HttpResponse http_get(int port, const std::string& target, const std::string& token, std::chrono::milliseconds timeout,
                      const std::filesystem::path& https_ca) {
  return exchange_one(port, bhttp::verb::get, target, {}, token, timeout, https_ca);
}

HttpResponse http_post(int port, const std::string& target, const std::string& body, const std::string& token,
                       std::chrono::milliseconds timeout) {
  return exchange_one(port, bhttp::verb::post, target, body, token, timeout, {});
}

}  // namespace sterifleet::testing
