// Accepts connections and gives each a session, plain or TLS, with a place in Connections: regular, or
// an overflow place when a limit is reached, so a flood cannot take the daemon's memory or file
// descriptors, nor its health answers.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "net.hpp"

namespace sterifleet::http {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  /// Binds now; throws std::system_error when the address cannot be bound.
  Listener(net::io_context& io, const tcp::endpoint& endpoint, std::shared_ptr<ServerState> state);

  void run();
  void stop();
  std::uint16_t port() const { return port_; }

 private:
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void start_session(tcp::socket socket, Connections::Slot slot);

  net::io_context& io_;
  net::strand<net::io_context::executor_type> strand_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  std::shared_ptr<ServerState> state_;
  std::uint16_t port_ = 0;
};

}  // namespace sterifleet::http
