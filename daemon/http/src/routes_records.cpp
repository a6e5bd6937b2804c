// Sessions and sterilizer cycles from the store, manual reprocessing entries, and recalls from the
// engine (which knows every session an item of a recalled load was used in since), or as a sealed
// report file from the store.

#include "patient_mask.hpp"
#include "router.hpp"
#include "sterifleet/crypto/random.hpp"
#include "sterifleet/http/record_views.hpp"
#include "sterifleet/protocol/ids.hpp"

namespace sterifleet::http {

namespace {

using nlohmann::json;
using verb = boost::beast::http::verb;

store::RecordQuery record_query(const Call& call) {
  const auto& q = call.query;
  q.expect({"clinic", "device", "from", "to", "limit", "after"});
  store::RecordQuery query;
  query.clinic = q.id("clinic");
  query.device = q.id("device");
  const auto range = q.range();
  query.from = range.from;
  query.to = range.to;
  query.page = {q.limit(), q.cursor()};
  query.scope = call.scope();
  return query;
}

Response list_sessions(const Call& call) {
  auto page = page_json(call.context.services.store.sessions(record_query(call)));
  if (const auto mask = PatientMask::for_call(call)) mask->sessions(page["items"]);
  return json_response(boost::beast::http::status::ok, page);
}

Response list_cycles(const Call& call) {
  return json_response(boost::beast::http::status::ok,
                       page_json(call.context.services.store.cycles(record_query(call))));
}

std::string cycle_key(const Call& call) { return call.params[0] + "/" + call.params[1]; }

Response get_cycle(const Call& call) {
  call.query.expect({});
  const auto key = cycle_key(call);
  auto cycle = call.context.services.store.cycle(key);
  if (!cycle) throw ApiError(ErrorCode::not_found, "no cycle " + key);
  call.require_visible_row(*cycle, "no cycle " + key);
  return json_response(boost::beast::http::status::ok, *cycle);
}

// With a format, the recall as a sealed report file (recorded in the audit trail); without, as the
// engine knows it.
Response get_recall(const Call& call) {
  call.query.expect({"format"});
  const auto key = cycle_key(call);
  const auto not_found = "no positive biological indicator for cycle " + key;
  if (!call.scope().all()) call.require_visible_row(call.context.services.store.cycle(key).value_or(json()), not_found);
  if (const auto format = call.query.one_of("format", {"csv", "pdf"})) {
    return recall_report(call, key, *report::parse_format(*format));
  }
  auto recall =
      fleet::first_answer(call.context.services.fleet, [&](const engine::Engine& engine) -> std::optional<json> {
        const auto found = engine.recall(key);
        if (!found) return std::nullopt;
        return recall_json(*found);
      });
  if (!recall) throw ApiError(ErrorCode::not_found, not_found);
  if (const auto mask = PatientMask::for_call(call)) mask->sessions((*recall)["sessions"]);
  return json_response(boost::beast::http::status::ok, *recall);
}

Response add_reprocessing(const Call& call) {
  call.query.expect({});
  const JsonBody body(call.request.body());
  body.expect({"clinic", "id", "at", "cycle"});
  const auto& entry = body.json();
  const auto clinic = body.required_text("clinic", protocol::max_id_length);
  if (!protocol::is_valid_id(clinic)) bad_param("clinic", "must be 1 to 64 letters, digits, '_', '.' or '-'");
  call.require_visible(clinic, "no clinic " + clinic);
  auto id = body.optional_text("id", protocol::max_id_length);
  if (entry.contains("id") && !protocol::is_valid_id(id)) {
    bad_param("id", "must be 1 to 64 letters, digits, '_', '.' or '-'");
  }
  if (entry.contains("at")) body.required_time("at");
  if (!entry.contains("cycle") || !entry["cycle"].is_object()) {
    bad_param("cycle", "required, an object with the fields of a cycle.complete body");
  }
  json accepted = entry;
  if (id.empty()) accepted["id"] = id = "M-" + crypto::random_hex(6);
  auto& services = call.context.services;
  return call.context.write([&] { return services.fleet.manual_reprocessing(accepted, call.principal->actor()); },
                            [&] { return services.store.cycle("manual/" + id).value_or(json::object()); },
                            boost::beast::http::status::created);
}

}  // namespace

void add_record_routes(Router& router) {
  router.add(verb::get, "/api/v1/sessions", Permission::read, list_sessions);
  router.add(verb::get, "/api/v1/cycles", Permission::read, list_cycles);
  router.add(verb::get, "/api/v1/cycles/{sterilizer}/{cycle}", Permission::read, get_cycle);
  router.add(verb::post, "/api/v1/reprocessing", Permission::operate, add_reprocessing);
  router.add(verb::get, "/api/v1/recalls/{sterilizer}/{cycle}", Permission::read, get_recall);
}

}  // namespace sterifleet::http
