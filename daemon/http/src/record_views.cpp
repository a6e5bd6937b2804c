#include "sterifleet/http/record_views.hpp"

#include "sterifleet/fleet/views.hpp"

namespace sterifleet::http {

namespace {

using nlohmann::json;
using protocol::format_timestamp;

}  // namespace

json device_detail(const engine::Engine& engine, const engine::DeviceRecord& d) {
  json out = json::parse(fleet::device_summary(engine, d));
  json sessions = json::array();
  for (auto it = d.sessions.rbegin(); it != d.sessions.rend() && sessions.size() < 50; ++it) {
    sessions.push_back(engine::to_json(engine::SessionChange{d.clinic, d.id, *it}));
  }
  json reprocessing = json::array();
  for (auto it = d.reprocessings.rbegin(); it != d.reprocessings.rend() && reprocessing.size() < 50; ++it) {
    reprocessing.push_back(
        {{"at", format_timestamp(it->ts)},
         {"cycle", it->cycle_key},
         {"valid", it->sufficient},
         {"recalled_at", it->recalled_at ? json(format_timestamp(*it->recalled_at)) : json(nullptr)}});
  }
  json cartridges = json::array();
  for (auto it = d.cartridge_changes.rbegin(); it != d.cartridge_changes.rend() && cartridges.size() < 50; ++it) {
    cartridges.push_back({{"at", format_timestamp(it->ts)},
                          {"cartridge", it->cartridge.str()},
                          {"change", it->removed ? "removed" : "mounted"}});
  }
  json alerts = json::array();
  for (const auto* a : engine.active_alerts(d.id)) alerts.push_back(engine::to_json(*a));
  json cycles = json::array();
  for (auto it = d.cycles.rbegin(); it != d.cycles.rend() && cycles.size() < 50; ++it) {
    if (const auto* c = engine.cycle(*it)) cycles.push_back(engine::to_json(*c));
  }
  json maintenance = json::array();
  for (const auto& w : d.maintenance) {
    maintenance.push_back({{"from", format_timestamp(w.from)}, {"to", format_timestamp(w.to)}, {"reason", w.reason}});
  }
  out["sessions"] = std::move(sessions);
  out["reprocessing"] = std::move(reprocessing);
  out["cartridge_changes"] = std::move(cartridges);
  out["cycles"] = std::move(cycles);
  out["active_alerts"] = std::move(alerts);
  out["maintenance"] = std::move(maintenance);
  return out;
}

json recall_json(const engine::Recall& recall) {
  json sessions = json::array();
  for (const auto& s : recall.sessions) {
    sessions.push_back({{"pen", s.pen.str()},
                        {"session", s.session.str()},
                        {"started", format_timestamp(s.started)},
                        {"operator", s.operator_id.str()},
                        {"patient", s.patient.str()},
                        {"patient_drift", s.patient_drift},
                        {"after_cycle", s.after_cycle}});
  }
  json devices = json::array();
  for (const auto& d : recall.devices) devices.push_back(d.str());
  return {{"cycle", recall.cycle_key},
          {"bi_read_at", format_timestamp(recall.bi_read_at)},
          {"cycles", recall.cycles},
          {"devices", std::move(devices)},
          {"sessions", std::move(sessions)}};
}

}  // namespace sterifleet::http
