#include "sterifleet/core/views.hpp"

namespace sterifleet::core {

namespace {

using nlohmann::json;
using protocol::format_timestamp;

json time_or_null(protocol::Timestamp ts) {
  return ts == protocol::Timestamp{} ? json(nullptr) : json(format_timestamp(ts));
}

}  // namespace

std::string_view display_state(const engine::DeviceRecord& d) {
  if (d.locked) return "locked";
  if (d.presence == engine::Presence::offline) return "offline";
  if (!d.is_pen()) return d.presence == engine::Presence::shutdown ? "off" : "ready";
  if (d.hygiene == engine::Hygiene::in_use) return "in_use";
  if (d.hygiene == engine::Hygiene::needs_reprocessing) return "needs_reprocessing";
  return d.presence == engine::Presence::shutdown ? "off" : "ready";
}

json device_summary(const engine::Engine& engine, const engine::DeviceRecord& d) {
  const auto active = engine.active_alerts(d.id);
  std::string worst = "none";
  for (const auto* a : active) {
    if (a->severity == engine::Severity::critical) worst = "critical";
    if (a->severity == engine::Severity::warning && worst != "critical") worst = "warning";
    if (a->severity == engine::Severity::info && worst == "none") worst = "info";
  }
  json out{
      {"id", d.id.str()},
      {"clinic", d.clinic.str()},
      {"kind", d.kind ? json(protocol::to_string(*d.kind)) : json(nullptr)},
      {"model", d.model},
      {"firmware", d.firmware},
      {"registered", d.registered},
      {"state", display_state(d)},
      {"presence", engine::to_string(d.presence)},
      {"hygiene", d.is_pen() ? json(engine::to_string(d.hygiene)) : json(nullptr)},
      {"locked", d.locked},
      {"last_seen", time_or_null(d.last_seen)},
      {"last_received", time_or_null(d.last_received)},
      {"open_alerts", active.size()},
      {"worst_severity", worst},
      {"mounted_cartridge", d.mounted ? json(d.mounted->str()) : json(nullptr)},
      {"in_maintenance", d.in_maintenance(d.last_received)},
  };
  if (d.telemetry) {
    const auto& t = d.telemetry->last;
    out["telemetry"] = {{"at", format_timestamp(d.telemetry->at)},
                        {"battery_pct", t.battery.value},
                        {"motor_runtime_h", static_cast<double>(t.motor_runtime.count()) / 3600.0},
                        {"strokes", t.motor_strokes},
                        {"depth_mm", t.depth.value},
                        {"speed", t.speed.value}};
  } else {
    out["telemetry"] = nullptr;
  }
  return out;
}

json device_detail(const engine::Engine& engine, const engine::DeviceRecord& d) {
  json out = device_summary(engine, d);
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

}  // namespace sterifleet::core
