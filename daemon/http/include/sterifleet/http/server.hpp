// sterifleetd's HTTP(S) server on Boost.Beast: accepts connections, reads requests within limits, runs
// them through the Api on a worker pool and writes the replies; turns stream requests into SSE.
#pragma once

// GCC 12 at -O2 reports null dereferences inside Asio's scheduler and executor comparison, instantiated
// by whoever runs an io_context (false positives in third-party code); -Wnull-dereference stays for ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <cstdint>
#include <memory>

#include "sterifleet/fleet/event_bus.hpp"
#include "sterifleet/http/api.hpp"

namespace sterifleet::http {

/// Thread-safety: start() and stop() from one thread; the io_context may run on any number of threads.
class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpOptions options, fleet::FleetFront& fleet, store::Store& store,
             fleet::EventBus& events, fleet::Metrics& metrics, std::function<bool()> ready);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds and starts accepting. Throws std::runtime_error for a bad address, a port in use or
  /// unreadable TLS files.
  void start();
  /// Stops accepting, closes every connection and waits for running handlers. Idempotent.
  void stop();

  std::uint16_t port() const;  ///< the bound port (after start())
  bool tls() const;
  std::size_t connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sterifleet::http
