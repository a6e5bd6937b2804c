#include "sterifleet/http/api.hpp"

#include <spdlog/spdlog.h>

#include "router.hpp"
#include "security_headers.hpp"
#include "static_files.hpp"

namespace sterifleet::http {

namespace {

namespace bhttp = boost::beast::http;

std::string roles_allowed(Permission permission) {
  std::vector<std::string_view> names;
  for (const auto role : {Role::viewer, Role::manager, Role::auditor, Role::admin}) {
    if (allows(role, permission)) names.push_back(to_string(role));
  }
  return join(names, " or ");
}

std::string clinic_list(const store::ClinicScope& scope) {
  const auto& clinics = scope.clinics();
  return join(std::vector<std::string_view>(clinics.begin(), clinics.end()));
}

Response unauthorized(Authenticator::Failure failure) {
  std::string_view message = "this endpoint needs an \"Authorization: Bearer <token>\" header";
  if (failure == Authenticator::Failure::malformed) message = "the Authorization header must be \"Bearer <token>\"";
  if (failure == Authenticator::Failure::unknown) message = "the token is unknown or revoked";
  auto response = error_response(ErrorCode::unauthorized, message);
  response.set(bhttp::field::www_authenticate, failure == Authenticator::Failure::missing
                                                   ? R"(Bearer realm="sterifleet")"
                                                   : R"(Bearer realm="sterifleet", error="invalid_token")");
  return response;
}

Response method_not_allowed(const Router::Found& found, bhttp::verb method) {
  std::string allow;
  for (const auto verb : found.allowed) {
    if (!allow.empty()) allow += ", ";
    allow += std::string(bhttp::to_string(verb));
  }
  auto response = error_response(ErrorCode::method_not_allowed,
                                 std::string(bhttp::to_string(method)) + " is not allowed here; use " + allow);
  response.set(bhttp::field::allow, allow);
  return response;
}

}  // namespace

struct Api::Impl {
  Context context;
  Router router;
  StaticFiles dashboard;

  Impl(HttpOptions options, Services services)
      : context{services, options, Authenticator(services.store, options.bootstrap_token)},
        dashboard(options.dashboard_dir) {
    add_device_routes(router);
    add_alert_routes(router);
    add_record_routes(router);
    add_audit_routes(router);
    add_stats_routes(router);
    add_report_routes(router);
    add_notification_routes(router);
    add_token_routes(router);
    add_whoami_routes(router);
    add_system_routes(router);
  }

  // The stream is read by browsers' EventSource, which cannot set headers: it may carry the token in
  // the query instead.
  std::string authorization(const Request& request, const Route* route, const Query& query) const {
    const auto header = request[bhttp::field::authorization];
    if (!header.empty() || !route || route->pattern != stream_route) return std::string(header);
    const auto token = query.text("access_token");
    return token ? "Bearer " + *token : std::string();
  }

  Reply dispatch(const Request& request, const Admission& admit) const {
    const auto target = Target::parse(request.target());
    const auto& query = target.query;
    const auto found = router.find(request.method(), target.segments);
    const bool api_space = target.segments.front() == "api";
    if (found.allowed.empty() && !api_space) return {serve_static(request, target), false, "static"};
    const Route* route = found.route;
    std::optional<Principal> principal;
    // Inside /api nothing is revealed before authentication, not even which paths exist.
    if (route ? route->permission.has_value() : api_space) {
      const auto who = context.authenticator.authenticate(authorization(request, route, query));
      if (const auto* failure = std::get_if<Authenticator::Failure>(&who)) {
        return {unauthorized(*failure), false, route ? route->pattern : "unrouted"};
      }
      principal = std::get<Principal>(who);
    }
    if (found.allowed.empty()) {
      return {error_response(ErrorCode::not_found, "no such endpoint: " + target.path), false, "unrouted"};
    }
    if (!route) return {method_not_allowed(found, request.method()), false, "unrouted"};
    if (route->permission && !allows(principal->role, *route->permission)) {
      return {error_response(ErrorCode::forbidden, "this endpoint needs a token with role " +
                                                       roles_allowed(*route->permission) + "; this token is " +
                                                       std::string(to_string(principal->role))),
              false, route->pattern};
    }
    if (route->reach == Reach::fleet && !principal->clinics.all()) {
      return {error_response(ErrorCode::forbidden,
                             "this endpoint spans every clinic and needs a token for all of "
                             "them; this token is for " +
                                 clinic_list(principal->clinics)),
              false, route->pattern};
    }
    if (principal && admit) {
      if (auto refused = admit(*principal, route->pattern)) return {std::move(*refused), false, route->pattern};
    }
    const Call call{request, principal ? &*principal : nullptr, query, found.params, context};
    auto response = route->handler(call);
    const bool stream = route->pattern == stream_route && response.result() == bhttp::status::ok;
    return {std::move(response), stream, route->pattern, stream ? principal->clinics : store::ClinicScope{}};
  }

  Response serve_static(const Request& request, const Target& target) const {
    if (request.method() != bhttp::verb::get) {
      auto response = error_response(ErrorCode::method_not_allowed, "the dashboard is read with GET");
      response.set(bhttp::field::allow, "GET");
      return response;
    }
    return dashboard.serve(target.segments);
  }
};

Api::Api(HttpOptions options, Services services)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(services))) {}

Api::~Api() = default;

Reply Api::handle(const Request& request, const Admission& admit) const {
  Reply reply;
  try {
    reply = impl_->dispatch(request, admit);
  } catch (const ApiError& e) {
    reply.response = error_response(e.code(), e.what());
  } catch (const fleet::ActionUnanswered& e) {
    reply.response = error_response(ErrorCode::unavailable, e.what());
    reply.response.set(bhttp::field::retry_after, std::to_string(e.retry_after().count()));
  } catch (const store::BadCursor& e) {
    reply.response = error_response(ErrorCode::bad_request, std::string("after: ") + e.what());
  } catch (const store::StoreError& e) {
    spdlog::error("http {} {}: the store failed: {}", std::string(request.method_string()),
                  std::string(request.target()), e.what());
    reply.response = error_response(ErrorCode::internal, "the store failed to answer; see the daemon's log");
  } catch (const std::exception& e) {
    spdlog::error("http {} {}: {}", std::string(request.method_string()), std::string(request.target()), e.what());
    reply.response = error_response(ErrorCode::internal, "internal error; see the daemon's log");
  }
  set_security_headers(reply.response, reply.route == "static");
  reply.response.version(request.version());
  reply.response.keep_alive(request.keep_alive());
  return reply;
}

bool Api::may_upload(std::string_view authorization) const {
  try {
    const auto who = impl_->context.authenticator.authenticate(authorization);
    const auto* principal = std::get_if<Principal>(&who);
    return principal && allows(principal->role, Permission::audit);
  } catch (const std::exception&) {
    return false;  // the store could not say: the handler answers with its own error on a small body
  }
}

std::vector<RouteInfo> Api::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& route : impl_->router.routes()) {
    out.push_back({route.method, route.pattern, route.permission, route.reach});
  }
  return out;
}

}  // namespace sterifleet::http
