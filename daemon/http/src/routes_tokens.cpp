// API tokens, for admins: create (the secret is shown once), list, revoke. The store keeps only each
// secret's SHA-256, so a copy of the database grants nothing.
#include <spdlog/spdlog.h>

#include "router.hpp"

namespace sterifleet::http {

namespace {

using nlohmann::json;
using verb = boost::beast::http::verb;

json token_json(const store::TokenRecord& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"role", t.role},
          {"created_at", protocol::format_timestamp(t.created_at)},
          {"revoked", t.revoked}};
}

Response create_token(const Call& call) {
  call.query.expect({});
  const JsonBody body(call.request.body());
  body.expect({"name", "role"});
  const auto name = body.required_text("name", 64);
  if (!valid_token_name(name)) bad_param("name", "must be 1 to 64 letters, digits, '_', '.', '-' or '@'");
  const auto role = parse_role(body.required_text("role", 16));
  if (!role) bad_param("role", "must be one of viewer, manager, auditor, admin");
  const auto issued = issue_token(call.context.services.store, name, *role, call.context.now());
  spdlog::info("http: {} created {} token {} for {}", call.principal->actor(), to_string(*role), issued.record.id,
               name);
  json out = token_json(issued.record);
  out["token"] = issued.secret;
  return json_response(boost::beast::http::status::created, out);
}

Response list_tokens(const Call& call) {
  call.query.expect({});
  json items = json::array();
  for (const auto& token : call.context.services.store.tokens()) items.push_back(token_json(token));
  return json_response(boost::beast::http::status::ok, {{"items", std::move(items)}});
}

Response revoke_token(const Call& call) {
  call.query.expect({});
  const auto& id = call.params[0];
  if (!call.context.services.store.revoke_token(id)) throw ApiError(ErrorCode::not_found, "no token " + id);
  if (call.context.options.token_revoked) call.context.options.token_revoked(id);
  spdlog::info("http: {} revoked token {}", call.principal->actor(), id);
  return json_response(boost::beast::http::status::ok, {{"id", id}, {"revoked", true}});
}

}  // namespace

void add_token_routes(Router& router) {
  router.add(verb::post, "/api/v1/tokens", Permission::administer, create_token);
  router.add(verb::get, "/api/v1/tokens", Permission::administer, list_tokens);
  router.add(verb::delete_, "/api/v1/tokens/{id}", Permission::administer, revoke_token);
}

}  // namespace sterifleet::http
