// Clinics and devices: the fleet's published view for listings, the engines (FleetFront) for
// one device's detail, a device's raw history from the store, and maintenance windows.
#include "patient_mask.hpp"
#include "router.hpp"
#include "sterifleet/http/record_views.hpp"
#include "sterifleet/protocol/ids.hpp"

namespace sterifleet::http {

namespace {

using nlohmann::json;
using verb = boost::beast::http::verb;

const std::vector<std::string_view> device_kinds{"pen", "roller", "sterilizer"};
const std::vector<std::string_view> device_states{"ready", "in_use", "needs_reprocessing", "locked", "offline", "off"};

Response list_clinics(const Call& call) {
  call.query.expect({});
  const auto view = call.context.services.fleet.view();
  json items = json::array();
  for (const auto& [id, c] : view->clinics) {
    if (!call.scope().covers(id)) continue;
    items.push_back({{"id", id},
                     {"devices", c.devices},
                     {"pens", c.pens},
                     {"sterilizers", c.sterilizers},
                     {"open_alerts", c.open_alerts},
                     {"critical_alerts", c.critical_alerts}});
  }
  return json_response(boost::beast::http::status::ok, {{"items", std::move(items)}});
}

// Each device's summary is rendered once when it changes (fleet::FleetView): the listing joins them.
Response list_devices(const Call& call) {
  const auto& q = call.query;
  q.expect({"clinic", "kind", "state"});
  const auto clinic = q.id("clinic");
  const auto kind = q.one_of("kind", device_kinds);
  const auto state = q.one_of("state", device_states);
  const auto view = call.context.services.fleet.view();
  std::string body = R"({"items":[)";
  bool first = true;
  for (const auto& [key, device] : view->devices) {
    if (clinic && device->clinic != *clinic) continue;
    if (!call.scope().covers(device->clinic)) continue;
    if (kind && device->kind != *kind) continue;
    if (state && device->state != *state) continue;
    if (!first) body += ',';
    first = false;
    body += device->json;
  }
  body += "]}";
  return json_response(boost::beast::http::status::ok, std::move(body));
}

// None for a device the caller may not see, as for one that is not there.
std::optional<json> device_detail(const Call& call, const std::string& id) {
  if (!protocol::is_valid_id(id)) return std::nullopt;
  // A device is judged in one engine only (its clinic's shard in a cluster).
  return fleet::first_answer(call.context.services.fleet, [&](const engine::Engine& engine) -> std::optional<json> {
    const auto* device = engine.device(protocol::DeviceId{id});
    if (!device || !call.scope().covers(device->clinic.str())) return std::nullopt;
    return http::device_detail(engine, *device);
  });
}

Response get_device(const Call& call) {
  const auto& q = call.query;
  q.expect({"limit", "after"});
  const auto& id = call.params[0];
  auto detail = device_detail(call, id);
  if (!detail) throw ApiError(ErrorCode::not_found, "no device " + id);
  store::RecordQuery history;
  history.device = id;
  history.scope = call.scope();
  history.page = {q.limit(50), q.cursor()};
  (*detail)["history"] = page_json(call.context.services.store.messages(history));
  if (const auto mask = PatientMask::for_call(call)) {
    mask->sessions((*detail)["sessions"]);
    mask->messages((*detail)["history"]["items"]);
  }
  return json_response(boost::beast::http::status::ok, *detail);
}

Response add_maintenance(const Call& call) {
  call.query.expect({});
  const auto& id = call.params[0];
  const JsonBody body(call.request.body());
  body.expect({"from", "to", "reason"});
  const auto from = body.required_time("from");
  const auto to = body.required_time("to");
  if (to <= from) bad_param("to", "must be later than from");
  const auto reason = body.required_text("reason");
  if (!protocol::is_valid_id(id)) throw ApiError(ErrorCode::not_found, "no device " + id);
  // Another clinic's device is not there for a token of some clinics: nothing of it may change.
  if (!call.scope().all() && !device_detail(call, id)) throw ApiError(ErrorCode::not_found, "no device " + id);
  auto& fleet = call.context.services.fleet;
  return call.context.write([&] { return fleet.maintenance(id, from, to, reason, call.principal->actor()); },
                            [&] { return device_detail(call, id).value_or(json::object()); });
}

}  // namespace

void add_device_routes(Router& router) {
  router.add(verb::get, "/api/v1/clinics", Permission::read, list_clinics);
  router.add(verb::get, "/api/v1/devices", Permission::read, list_devices);
  router.add(verb::get, "/api/v1/devices/{id}", Permission::read, get_device);
  router.add(verb::post, "/api/v1/devices/{id}/maintenance", Permission::operate, add_maintenance);
}

}  // namespace sterifleet::http
