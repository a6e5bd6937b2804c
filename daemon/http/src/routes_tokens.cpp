// API tokens, for admins of every clinic: create (the secret is shown once), list, revoke. The store
// keeps only each secret's SHA-256, so a copy of the database grants nothing. Creation and revocation
// go through the Fleet, which stores them with their audit records.
#include <spdlog/spdlog.h>

#include "router.hpp"
#include "sterifleet/fleet/journal_actions.hpp"
#include "sterifleet/protocol/ids.hpp"

namespace sterifleet::http {

namespace {

using nlohmann::json;
using verb = boost::beast::http::verb;

std::string cause_of(const Call& call) {
  return std::string(call.request.method_string()) + " " + std::string(call.request.target());
}

// Absent or null: every clinic. Otherwise at least one clinic id, each once.
store::ClinicScope clinics_of(const JsonBody& body) {
  const auto& value = body.json().value("clinics", json());
  if (value.is_null()) return {};
  constexpr std::string_view rule = "must be null (every clinic) or an array of 1 to 100 distinct clinic ids";
  if (!value.is_array() || value.empty() || value.size() > 100) bad_param("clinics", rule);
  std::set<std::string, std::less<>> clinics;
  for (const auto& clinic : value) {
    if (!clinic.is_string() || !protocol::is_valid_id(clinic.get_ref<const std::string&>())) {
      bad_param("clinics", "each must be 1 to 64 letters, digits, '_', '.' or '-'");
    }
    if (!clinics.insert(clinic.get<std::string>()).second) bad_param("clinics", rule);
  }
  return store::ClinicScope(std::move(clinics));
}

Response create_token(const Call& call) {
  call.query.expect({});
  const JsonBody body(call.request.body());
  body.expect({"name", "role", "clinics"});
  const auto name = body.required_text("name", 64);
  if (!valid_token_name(name)) {
    bad_param("name", "must be 1 to 64 letters, digits, '_', '.', '-' or '@', and not \"bootstrap\"");
  }
  const auto role = parse_role(body.required_text("role", 16));
  if (!role) bad_param("role", "must be one of viewer, manager, auditor, admin");
  auto issued = new_token(name, *role, clinics_of(body), call.context.now());
  const auto& record = issued.stored.record;
  return call.context.write(
      [&] { return call.context.services.fleet.create_token(issued.stored, call.principal->actor(), cause_of(call)); },
      [&] {
        spdlog::info("http: {} created {} token {} named {} for {}", call.principal->actor(), record.role, record.id,
                     name, record.clinics.all() ? "all clinics" : record.clinics.to_json().dump());
        json out = fleet::token_json(record);
        out["token"] = issued.secret;
        return out;
      },
      boost::beast::http::status::created);
}

Response list_tokens(const Call& call) {
  call.query.expect({});
  json items = json::array();
  for (const auto& token : call.context.services.store.tokens()) items.push_back(fleet::token_json(token));
  return json_response(boost::beast::http::status::ok, {{"items", std::move(items)}});
}

Response revoke_token(const Call& call) {
  call.query.expect({});
  const auto& id = call.params[0];
  return call.context.write(
      [&] { return call.context.services.fleet.revoke_token(id, call.principal->actor(), cause_of(call)); },
      [&] {
        if (call.context.options.token_revoked) call.context.options.token_revoked(id);
        spdlog::info("http: {} revoked token {}", call.principal->actor(), id);
        return json{{"id", id}, {"revoked", true}};
      });
}

}  // namespace

void add_token_routes(Router& router) {
  router.add(verb::post, "/api/v1/tokens", Permission::administer, create_token, Reach::fleet);
  router.add(verb::get, "/api/v1/tokens", Permission::administer, list_tokens, Reach::fleet);
  router.add(verb::delete_, "/api/v1/tokens/{id}", Permission::administer, revoke_token, Reach::fleet);
}

}  // namespace sterifleet::http
