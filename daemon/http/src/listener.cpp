// GCC 12 at -O2 reports null dereferences inside Asio (the scheduler, and comparing strands held as
// any_io_executor: the acceptor's and each connection's), instantiated here; false positives in
// third-party code, whose headers (and the shared_ptr they use) are first read through this include.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include "listener.hpp"
#pragma GCC diagnostic pop

#include <spdlog/spdlog.h>

#include "http_session.hpp"

namespace sterifleet::http {

namespace {

// Accept fails when the process is out of file descriptors; retrying at once would spin.
constexpr std::chrono::milliseconds accept_backoff{100};

}  // namespace

Listener::Listener(net::io_context& io, const tcp::endpoint& endpoint, std::shared_ptr<ServerState> state)
    : io_(io), strand_(net::make_strand(io)), acceptor_(strand_), retry_(strand_), state_(std::move(state)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void Listener::run() {
  net::dispatch(strand_, [self = shared_from_this()] { self->do_accept(); });
}

void Listener::stop() {
  net::post(strand_, [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
    self->retry_.cancel();
  });
}

void Listener::do_accept() {
  if (!acceptor_.is_open()) return;
  // Each connection gets its own strand: its handlers never run concurrently, on any number of threads.
  acceptor_.async_accept(net::make_strand(io_), beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted) return;
  if (ec) {
    spdlog::warn("http accept: {}", ec.message());
    retry_.expires_after(accept_backoff);
    retry_.async_wait([self = shared_from_this()](beast::error_code wait) {
      if (!wait) self->do_accept();
    });
    return;
  }
  // A peer that already left has no address: it counts under "", and its session ends at its first read.
  beast::error_code gone;
  const auto peer = socket.remote_endpoint(gone);
  if (auto slot = state_->connections->try_enter(gone ? std::string() : peer.address().to_string())) {
    start_session(std::move(socket), std::move(*slot));
  } else {
    socket.close(gone);  // the server is stopping
  }
  do_accept();
}

void Listener::start_session(tcp::socket socket, Connections::Slot slot) {
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);  // small JSON answers should not wait for Nagle
  if (state_->tls) {
    std::make_shared<HttpSession<TlsStream>>(TlsStream(std::move(socket), *state_->tls), state_, std::move(slot))
        ->run();
  } else {
    std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(socket)), state_, std::move(slot))->run();
  }
}

}  // namespace sterifleet::http
