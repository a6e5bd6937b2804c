// Alerts: listings and single alerts from the store (it keeps every alert, the engine forgets settled
// ones), acknowledgement and resolution through the Fleet with the token's identity.
#include "router.hpp"
#include "sterifleet/engine/alert.hpp"

namespace sterifleet::http {

namespace {

using nlohmann::json;
using verb = boost::beast::http::verb;

const std::vector<std::string_view> alert_states{"open", "acknowledged", "resolved", "withdrawn"};

std::vector<std::string_view> rule_names() {
  std::vector<std::string_view> out;
  for (const auto rule : engine::all_rules) out.push_back(engine::to_string(rule));
  return out;
}

Response list_alerts(const Call& call) {
  const auto& q = call.query;
  q.expect({"state", "rule", "clinic", "device", "from", "to", "limit", "after"});
  store::AlertQuery query;
  query.state = q.one_of("state", alert_states);
  query.rule = q.one_of("rule", rule_names());
  query.clinic = q.id("clinic");
  query.device = q.id("device");
  const auto range = q.range();
  query.from = range.from;
  query.to = range.to;
  query.page = {q.limit(), q.cursor()};
  query.scope = call.scope();
  return json_response(boost::beast::http::status::ok, page_json(call.context.services.store.alerts(query)));
}

// Another clinic's alert is as absent as one never raised.
json stored_alert(const Call& call, const std::string& id) {
  auto alert = call.context.services.store.alert(id);
  if (!alert) throw ApiError(ErrorCode::not_found, "no alert " + id);
  call.require_visible_row(*alert, "no alert " + id);
  return *alert;
}

Response get_alert(const Call& call) {
  call.query.expect({});
  return json_response(boost::beast::http::status::ok, stored_alert(call, call.params[0]));
}

Response acknowledge(const Call& call) {
  call.query.expect({});
  const JsonBody body(call.request.body().empty() ? "{}" : call.request.body());
  body.expect({"comment"});
  auto comment = body.optional_text("comment");
  const auto& id = call.params[0];
  if (!call.scope().all()) stored_alert(call, id);
  return call.context.write(
      [&] { return call.context.services.fleet.acknowledge(id, call.principal->actor(), comment); },
      [&] { return stored_alert(call, id); });
}

Response resolve(const Call& call) {
  call.query.expect({});
  const JsonBody body(call.request.body());
  body.expect({"reason"});
  auto reason = body.required_text("reason");
  const auto& id = call.params[0];
  if (!call.scope().all()) stored_alert(call, id);
  return call.context.write([&] { return call.context.services.fleet.resolve(id, call.principal->actor(), reason); },
                            [&] { return stored_alert(call, id); });
}

}  // namespace

void add_alert_routes(Router& router) {
  router.add(verb::get, "/api/v1/alerts", Permission::read, list_alerts);
  router.add(verb::get, "/api/v1/alerts/{id}", Permission::read, get_alert);
  router.add(verb::post, "/api/v1/alerts/{id}/ack", Permission::operate, acknowledge);
  router.add(verb::post, "/api/v1/alerts/{id}/resolve", Permission::operate, resolve);
}

}  // namespace sterifleet::http
