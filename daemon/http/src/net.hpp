// Names the network layer shares: Beast/Asio aliases, the shared server state every session holds,
// and the one place connection failures are reported.
#pragma once

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <optional>

#include "connections.hpp"
#include "http_metrics.hpp"
#include "sterifleet/fleet/event_bus.hpp"
#include "sterifleet/http/api.hpp"
#include "token_places.hpp"

namespace sterifleet::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

/// Runs API handlers off the I/O threads. After detach() (the server stopping) nothing more is posted,
/// so the pool may be joined and destroyed while sessions still finish.
class Workers {
 public:
  explicit Workers(net::thread_pool& pool) : pool_(&pool) {}

  template <class F>
  bool post(F&& work) {
    std::lock_guard lock(mutex_);
    if (!pool_) return false;
    net::post(*pool_, std::forward<F>(work));
    return true;
  }
  void detach() {
    std::lock_guard lock(mutex_);
    pool_ = nullptr;
  }

 private:
  std::mutex mutex_;
  net::thread_pool* pool_;
};

/// What every session shares; sessions hold it by shared_ptr, so it outlives the last of them.
struct ServerState {
  ServerState(HttpOptions options_in, Services services, fleet::EventBus& events_in, net::thread_pool& pool)
      : options(options_in),
        places(std::make_shared<TokenPlaces>(TokenLimits{options_in.max_connections_per_token, options_in.max_streams,
                                                         options_in.max_streams_per_token})),
        api(ending_streams_on_revocation(options_in, places), services),
        events(events_in),
        metrics(services.metrics.registry()),
        connections(std::make_shared<Connections>(
            ConnectionLimits{options_in.max_connections, options_in.max_connections_per_client, overflow_connections},
            [this](std::size_t open) { metrics.set_connections(open); }, [this] { metrics.connection_refused(); })),
        workers(pool) {}

  /// Connections beyond the limits that may still ask for health and readiness (connections.hpp).
  static constexpr std::size_t overflow_connections = 16;

  HttpOptions options;
  std::shared_ptr<TokenPlaces> places;
  Api api;
  fleet::EventBus& events;
  HttpMetrics metrics;
  std::shared_ptr<Connections> connections;
  Workers workers;
  std::optional<net::ssl::context> tls;

 private:
  static HttpOptions ending_streams_on_revocation(HttpOptions options, const std::shared_ptr<TokenPlaces>& places) {
    options.token_revoked = [weak = std::weak_ptr<TokenPlaces>(places)](const std::string& token_id) {
      if (const auto live = weak.lock()) live->revoke(token_id);
    };
    return options;
  }
};

/// Reports a failed connection step; operation_aborted (our own close) and a peer that simply left
/// are normal life, logged at debug level at most.
void fail(beast::error_code ec, const char* what);

}  // namespace sterifleet::http
