// The HTTP API without sockets: a request in, a response out. Authentication, routing, parameters and
// every endpoint live behind Api::handle, so they can be tested and reasoned about without a network.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sterifleet/checkpoint/checkpoint.hpp"
#include "sterifleet/fleet/fleet_front.hpp"
#include "sterifleet/fleet/metrics.hpp"
#include "sterifleet/http/auth.hpp"

namespace sterifleet::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

/// What a test notification came to, as the daemon's notifier reports it.
struct TestNotification {
  bool delivered = false;
  int status = 0;      ///< HTTP status or SMTP reply code; 0 when no answer came
  std::string answer;  ///< the receiver's reply or the transport's error, without secrets
};

/// The daemon's alert delivery as the API may drive it. The http module does not depend on
/// daemon/notify: the daemon fills these from its Notifier.
struct NotifyActions {
  /// Sends a test notification to `receiver` now, as `actor`. Throws std::invalid_argument, naming the
  /// configured receivers, when there is no such receiver. Empty: no receivers are configured.
  std::function<TestNotification(const std::string& receiver, const std::string& actor)> test;
  /// Sends to a receiver disabled after it answered 410 again; false when it was not disabled. It must
  /// reach the dispatcher's cache as well as the store. Empty: the store alone is asked.
  std::function<bool(const std::string& receiver)> enable_receiver;
};

struct HttpOptions {
  std::string listen = "127.0.0.1:8080";  ///< host:port; port 0 picks a free one (HttpServer::port())
  std::string tls_cert;                   ///< PEM chain; with tls_key: HTTPS only
  std::string tls_key;
  std::string dashboard_dir;                    ///< built dashboard served at /; empty: not served
  std::string bootstrap_token;                  ///< admin secret for a fresh install (see Authenticator)
  std::size_t max_connections = 256;            ///< beyond it, health and readiness only (and 503)
  std::size_t max_connections_per_client = 64;  ///< from one client address; beyond it the same (and 429)
  std::size_t max_connections_per_token = 32;   ///< connections whose requests one token authenticated
  std::size_t max_streams = 128;                ///< live event streams in all
  std::size_t max_streams_per_token = 16;
  std::uint64_t body_limit = 1024 * 1024;
  std::uint64_t upload_limit = 64 * 1024 * 1024;  ///< a report sent to be verified (POST reports/verify)
  std::uint32_t header_limit = 16 * 1024;
  std::chrono::seconds idle_timeout{30};       ///< for a request's first byte, on a new or kept-alive connection
  std::chrono::seconds header_timeout{10};     ///< from a request's first byte to the end of its header
  std::chrono::seconds read_timeout{30};       ///< for a request's body
  std::chrono::seconds write_timeout{30};      ///< a client that reads slower is disconnected
  std::chrono::seconds heartbeat{15};          ///< comment lines on an idle event stream
  std::size_t stream_queue = 1024;             ///< events a stream may lag behind before it loses the oldest
  std::size_t workers = 2;                     ///< threads running API handlers, so queries never stall I/O
  std::function<protocol::Timestamp()> clock;  ///< default: the system clock
  /// Called when the store failed to keep a write (the engine already applied it): must not return.
  /// Default: log critically and answer 500.
  std::function<void(const std::string& why)> fatal;
  NotifyActions notify;
  /// Signs, keeps and publishes a checkpoint of the head a report states (the daemon's audit key); empty:
  /// reports carry none.
  std::function<checkpoint::Checkpoint(const store::AuditHead&)> sign_checkpoint;
  /// The daemon's audit key: a report verified through the API must carry a checkpoint it signed, if any.
  std::optional<crypto::PublicKey> audit_key;
  /// Told of a token revoked through the API; HttpServer sets it to end the token's event streams.
  std::function<void(const std::string& token_id)> token_revoked;
};

/// What Api::handle needs of the daemon.
struct Services {
  fleet::FleetFront& fleet;
  store::Store& store;
  fleet::Metrics& metrics;
  std::function<bool()> ready;  ///< readiness probe for /readyz
};

struct Reply {
  Response response;
  /// The request was an authorised GET /api/v1/stream: send `response`'s header, then events.
  bool stream = false;
  std::string route;                  ///< the matched route's pattern, for metrics and logs ("static", "unrouted")
  store::ClinicScope stream_scope{};  ///< the clinics whose events the stream carries
};

/// Whom a route answers: any token, within its clinics; or only a token for every clinic, for what
/// spans them all (the one audit chain, tokens, notification receivers). Fail closed.
enum class Reach { clinics, fleet };

/// One route as the OpenAPI description must list it.
struct RouteInfo {
  boost::beast::http::verb method;
  std::string pattern;                   ///< "/api/v1/alerts/{id}/ack"
  std::optional<Permission> permission;  ///< none: public
  Reach reach = Reach::clinics;
};

/// Asked after authentication and before the handler runs whether the server takes the request: a
/// response refuses it (the server counts a token's connections and streams with it).
using Admission = std::function<std::optional<Response>(const Principal& who, std::string_view route)>;

class Api {
 public:
  Api(HttpOptions options, Services services);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  /// Thread-safe. Never throws: failures become JSON error responses.
  Reply handle(const Request& request, const Admission& admit = {}) const;
  std::vector<RouteInfo> routes() const;
  /// Whether a request with this Authorization header may send a body up to HttpOptions::upload_limit:
  /// an active token whose role may verify reports. Asked before the body is read, so that nobody else
  /// makes the server hold that much. Thread-safe; reads the store.
  bool may_upload(std::string_view authorization) const;

  /// The OpenAPI 3.1 description (daemon/http/openapi.json), served at /api/v1/openapi.json.
  static std::string_view openapi() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sterifleet::http
