#include "sterifleet/http/server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "listener.hpp"

namespace sterifleet::http {

namespace {

tcp::endpoint resolve(net::io_context& io, const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) {
    throw std::runtime_error("http.listen \"" + listen + "\": expected host:port, e.g. 127.0.0.1:8080");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  tcp::resolver resolver(io);
  beast::error_code ec;
  const auto results = resolver.resolve(host.empty() ? "0.0.0.0" : host, listen.substr(colon + 1),
                                        tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    throw std::runtime_error("http.listen \"" + listen + "\": " + (ec ? ec.message() : "no address"));
  }
  return results.begin()->endpoint();
}

net::ssl::context tls_context(const HttpOptions& options) {
  net::ssl::context context(net::ssl::context::tls_server);
  context.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                      net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
  beast::error_code ec;
  context.use_certificate_chain_file(options.tls_cert, ec);
  if (ec) throw std::runtime_error("http.tls_cert " + options.tls_cert + ": " + ec.message());
  context.use_private_key_file(options.tls_key, net::ssl::context::pem, ec);
  if (ec) throw std::runtime_error("http.tls_key " + options.tls_key + ": " + ec.message());
  return context;
}

}  // namespace

// A token revoked where this server's API did not see it (another daemon on the same PostgreSQL, or the
// store changed by hand) must end its streams too: twice a second, the tokens holding streams are
// looked up in the store, on a worker, and the revoked ones are ended.
class RevocationSweep : public std::enable_shared_from_this<RevocationSweep> {
 public:
  RevocationSweep(net::io_context& io, std::shared_ptr<ServerState> state, store::Store& store)
      : timer_(net::make_strand(io)), state_(std::move(state)), store_(store) {}

  void run() {
    timer_.expires_after(sweep_interval);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->stopped_) return;
      if (self->state_->places->streams() > 0) {
        self->state_->workers.post([self] { self->sweep(); });
      }
      self->run();
    });
  }
  void stop() {
    net::post(timer_.get_executor(), [self = shared_from_this()] {
      self->stopped_ = true;
      self->timer_.cancel();
    });
  }

 private:
  static constexpr std::chrono::milliseconds sweep_interval{500};

  void sweep() {
    try {
      const auto streaming = state_->places->tokens_with_streams();
      for (const auto& token : store_.tokens()) {
        if (token.revoked && std::find(streaming.begin(), streaming.end(), token.id) != streaming.end()) {
          spdlog::info("http: token {} was revoked elsewhere; ending its event streams", token.id);
          state_->places->revoke(token.id);
        }
      }
    } catch (const std::exception& e) {
      spdlog::error("http: cannot check the event streams' tokens: {}", e.what());
    }
  }

  net::steady_timer timer_;  ///< on its own strand: the handler and stop() touch it from any I/O thread
  std::shared_ptr<ServerState> state_;
  store::Store& store_;
  bool stopped_ = false;  ///< on the timer's strand
};

struct HttpServer::Impl {
  net::io_context& io;
  net::thread_pool pool;
  store::Store& store;
  std::shared_ptr<ServerState> state;
  std::shared_ptr<Listener> listener;
  std::shared_ptr<RevocationSweep> sweep;
  bool stopped = false;

  Impl(net::io_context& io_in, HttpOptions options, Services services, fleet::EventBus& events)
      : io(io_in), pool(std::max<std::size_t>(options.workers, 1)), store(services.store) {
    state = std::make_shared<ServerState>(std::move(options), std::move(services), events, pool);
  }
};

HttpServer::HttpServer(net::io_context& io, HttpOptions options, fleet::FleetFront& fleet, store::Store& store,
                       fleet::EventBus& events, fleet::Metrics& metrics, std::function<bool()> ready)
    : impl_(std::make_unique<Impl>(io, std::move(options), Services{fleet, store, metrics, std::move(ready)}, events)) {
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  auto& state = *impl_->state;
  const auto& options = state.options;
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    throw std::runtime_error("http.tls_cert and http.tls_key must be set together");
  }
  if (!options.tls_cert.empty()) state.tls.emplace(tls_context(options));
  const auto endpoint = resolve(impl_->io, options.listen);
  try {
    impl_->listener = std::make_shared<Listener>(impl_->io, endpoint, impl_->state);
  } catch (const std::system_error& e) {
    throw std::runtime_error("http.listen " + options.listen + ": " + e.code().message());
  }
  impl_->listener->run();
  impl_->sweep = std::make_shared<RevocationSweep>(impl_->io, impl_->state, impl_->store);
  impl_->sweep->run();
  spdlog::info("http: serving {} on {}:{}{}", tls() ? "HTTPS" : "HTTP", endpoint.address().to_string(), port(),
               options.dashboard_dir.empty() ? "" : ", dashboard from " + options.dashboard_dir);
}

void HttpServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (impl_->listener) impl_->listener->stop();
  if (impl_->sweep) impl_->sweep->stop();
  impl_->state->workers.detach();
  impl_->state->connections->close_all();
  // Handlers already running finish (their replies are dropped with the closed connections).
  impl_->pool.join();
}

std::uint16_t HttpServer::port() const { return impl_->listener ? impl_->listener->port() : 0; }

bool HttpServer::tls() const { return impl_->state->tls.has_value(); }

std::size_t HttpServer::connections() const { return impl_->state->connections->count(); }

}  // namespace sterifleet::http
