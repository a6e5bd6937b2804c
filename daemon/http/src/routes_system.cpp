// Operator endpoints outside /api/v1 (health, readiness, Prometheus metrics), the OpenAPI description,
// and the live event stream's entry (the session takes the connection over after this answer).
#include "router.hpp"

namespace sterifleet::http {

namespace {

using nlohmann::json;
using verb = boost::beast::http::verb;
using status = boost::beast::http::status;

Response healthz(const Call& call) {
  call.query.expect({});
  return json_response(status::ok, {{"status", "ok"}});
}

Response readyz(const Call& call) {
  call.query.expect({});
  const auto& probe = call.context.services.ready;
  if (!probe || probe()) return json_response(status::ok, {{"status", "ready"}});
  return error_response(
      ErrorCode::unavailable,
      "not ready: the state is still being restored, the broker is not connected or it has not granted "
      "the subscriptions yet");
}

Response metrics(const Call& call) {
  call.query.expect({});
  return text_response(status::ok, call.context.services.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
}

Response openapi(const Call& call) {
  call.query.expect({});
  auto response = text_response(status::ok, std::string(Api::openapi()), "application/json");
  response.set(boost::beast::http::field::cache_control, "no-cache");
  return response;
}

Response stream(const Call& call) {
  call.query.expect({"access_token"});
  Response response{status::ok, 11};
  response.set(boost::beast::http::field::content_type, "text/event-stream");
  response.set(boost::beast::http::field::cache_control, "no-store");
  // Reverse proxies (nginx) buffer responses by default, which would hold events back.
  response.set("X-Accel-Buffering", "no");
  return response;
}

}  // namespace

void add_system_routes(Router& router) {
  router.add(verb::get, "/healthz", std::nullopt, healthz);
  router.add(verb::get, "/readyz", std::nullopt, readyz);
  router.add(verb::get, "/metrics", std::nullopt, metrics);
  router.add(verb::get, "/api/v1/openapi.json", std::nullopt, openapi);
  router.add(verb::get, std::string(stream_route), Permission::read, stream);
}

}  // namespace sterifleet::http
