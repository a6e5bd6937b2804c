// A blocking Beast client for the HTTP tests: one connection (plain or TLS) kept alive across requests,
// plus raw access for the tests that must misbehave (partial headers, huge bodies, event streams).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace sterifleet::http::testing {

namespace bhttp = boost::beast::http;
using ClientResponse = bhttp::response<bhttp::string_body>;

class Client {
 public:
  /// Connects to 127.0.0.1:port; with `tls`, does the handshake (verifying the server against it).
  explicit Client(std::uint16_t port, boost::asio::ssl::context* tls = nullptr);
  ~Client();

  ClientResponse request(bhttp::verb method, const std::string& target, const std::string& token = {},
                         const std::string& body = {}, const std::map<std::string, std::string>& headers = {});
  ClientResponse get(const std::string& target, const std::string& token = {}) {
    return request(bhttp::verb::get, target, token);
  }
  ClientResponse post(const std::string& target, const std::string& token, const nlohmann::json& body) {
    return request(bhttp::verb::post, target, token, body.dump());
  }

  void write_raw(const std::string& bytes);
  /// Reads whatever arrives within `timeout`; empty on timeout (which also closes the connection: Beast's
  /// timeouts do), and sets `closed` when the peer closed.
  std::string read_some(std::chrono::milliseconds timeout, bool* closed = nullptr);
  /// Reads until `needle` has arrived (returns everything read) or `timeout` passes (throws).
  std::string read_until(const std::string& needle, std::chrono::milliseconds timeout);
  /// True when the server closed the connection (a read gets EOF or a reset within `timeout`).
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  template <class F>
  decltype(auto) with_stream(F&& f);

  boost::asio::io_context io_;
  std::unique_ptr<boost::beast::tcp_stream> plain_;
  std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls_;
  boost::beast::flat_buffer buffer_;
};

/// The JSON body of a response (fails the test when it is not JSON).
nlohmann::json json_of(const ClientResponse& response);
/// The "message" of an error response.
std::string error_message(const ClientResponse& response);
std::string error_code(const ClientResponse& response);

}  // namespace sterifleet::http::testing
