// The caller's own identity: which token it presents, what that token's role may do and which clinics it
// sees, so a client (the dashboard) can show only the actions it is allowed, without a copy of the role
// matrix.
#include "router.hpp"

namespace sterifleet::http {

namespace {

using nlohmann::json;
using verb = boost::beast::http::verb;

Response whoami(const Call& call) {
  call.query.expect({});
  const Principal& principal = *call.principal;
  json permissions = json::array();
  for (const auto permission : all_permissions) {
    if (allows(principal.role, permission)) permissions.push_back(to_string(permission));
  }
  return json_response(boost::beast::http::status::ok, {{"actor", principal.actor()},
                                                        {"name", principal.name},
                                                        {"role", to_string(principal.role)},
                                                        {"clinics", principal.clinics.to_json()},
                                                        {"permissions", std::move(permissions)}});
}

}  // namespace

void add_whoami_routes(Router& router) {
  // Every role holds read, so every valid token may ask who it is.
  router.add(verb::get, "/api/v1/whoami", Permission::read, whoami);
}

}  // namespace sterifleet::http
