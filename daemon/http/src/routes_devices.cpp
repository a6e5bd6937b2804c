// Clinics and devices: the engine's live view (through Fleet::read), a device's raw history from the
// store, and maintenance windows.
#include <algorithm>
#include <map>
#include <tuple>

#include "router.hpp"
#include "sterifleet/core/views.hpp"
#include "sterifleet/protocol/ids.hpp"

namespace sterifleet::http {

namespace {

using nlohmann::json;
using verb = boost::beast::http::verb;

const std::vector<std::string_view> device_kinds{"pen", "roller", "sterilizer"};
const std::vector<std::string_view> device_states{"ready", "in_use", "needs_reprocessing", "locked", "offline", "off"};

Response list_clinics(const Call& call) {
  call.query.expect({});
  struct Counts {
    std::int64_t devices = 0, pens = 0, sterilizers = 0, open_alerts = 0, critical_alerts = 0;
  };
  std::map<std::string, Counts> clinics = call.context.services.fleet.read([](const engine::Engine& engine) {
    std::map<std::string, Counts> out;
    engine.for_each_device([&](const engine::DeviceRecord& d) {
      auto& c = out[d.clinic.str()];
      ++c.devices;
      if (d.kind == protocol::DeviceKind::sterilizer) ++c.sterilizers;
      if (d.kind == protocol::DeviceKind::pen) ++c.pens;
    });
    engine.for_each_alert([&](const engine::Alert& a) {
      if (!a.active()) return;
      auto& c = out[a.clinic.str()];
      ++c.open_alerts;
      if (a.severity == engine::Severity::critical) ++c.critical_alerts;
    });
    return out;
  });
  json items = json::array();
  for (const auto& [id, c] : clinics) {
    items.push_back({{"id", id},
                     {"devices", c.devices},
                     {"pens", c.pens},
                     {"sterilizers", c.sterilizers},
                     {"open_alerts", c.open_alerts},
                     {"critical_alerts", c.critical_alerts}});
  }
  return json_response(boost::beast::http::status::ok, {{"items", std::move(items)}});
}

Response list_devices(const Call& call) {
  const auto& q = call.query;
  q.expect({"clinic", "kind", "state"});
  const auto clinic = q.id("clinic");
  const auto kind = q.one_of("kind", device_kinds);
  const auto state = q.one_of("state", device_states);
  json items = call.context.services.fleet.read([&](const engine::Engine& engine) {
    json out = json::array();
    engine.for_each_device([&](const engine::DeviceRecord& d) {
      if (clinic && d.clinic.str() != *clinic) return;
      if (kind && (!d.kind || protocol::to_string(*d.kind) != *kind)) return;
      if (state && core::display_state(d) != *state) return;
      out.push_back(core::device_summary(engine, d));
    });
    return out;
  });
  // The engine's order is a hash map's: sort so that pages of the dashboard do not reshuffle.
  std::sort(items.begin(), items.end(), [](const json& a, const json& b) {
    return std::tie(a["clinic"].get_ref<const std::string&>(), a["id"].get_ref<const std::string&>()) <
           std::tie(b["clinic"].get_ref<const std::string&>(), b["id"].get_ref<const std::string&>());
  });
  return json_response(boost::beast::http::status::ok, {{"items", std::move(items)}});
}

std::optional<json> device_detail(const Call& call, const std::string& id) {
  if (!protocol::is_valid_id(id)) return std::nullopt;
  return call.context.services.fleet.read([&](const engine::Engine& engine) -> std::optional<json> {
    const auto* device = engine.device(protocol::DeviceId{id});
    if (!device) return std::nullopt;
    return core::device_detail(engine, *device);
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
  history.page = {q.limit(50), q.cursor()};
  (*detail)["history"] = page_json(call.context.services.store.messages(history));
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
