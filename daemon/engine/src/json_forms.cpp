#include "sterifleet/engine/effects.hpp"

namespace sterifleet::engine {

namespace {

using nlohmann::json;
using protocol::format_timestamp;

json time_or_null(const std::optional<Timestamp>& ts) { return ts ? json(format_timestamp(*ts)) : json(nullptr); }

}  // namespace

std::string_view to_string(RefusalCode code) noexcept {
  switch (code) {
    case RefusalCode::bad_request:
      return "bad_request";
    case RefusalCode::not_found:
      return "not_found";
    case RefusalCode::conflict:
      return "conflict";
    case RefusalCode::duplicate:
      return "duplicate";
    case RefusalCode::seq_conflict:
      return "seq_conflict";
    case RefusalCode::sequence_regression:
      return "sequence_regression";
    case RefusalCode::wrong_device_kind:
      return "wrong_device_kind";
    case RefusalCode::duplicate_cycle:
      return "duplicate_cycle";
    case RefusalCode::clinic_mismatch:
      return "clinic_mismatch";
  }
  return "unknown";
}

json to_json(const Alert& alert) {
  json out{
      {"id", alert.id},
      {"clinic", alert.clinic.str()},
      {"rule", to_string(alert.rule)},
      {"severity", to_string(alert.severity)},
      {"subject", alert.subject},
      {"device", alert.episode.device.str()},
      {"state", to_string(alert.state())},
      {"trigger", alert.episode.trigger},
      {"opened_at", format_timestamp(alert.episode.opened_at)},
      {"occurrences", alert.episode.occurrences},
      {"summary", alert.episode.summary},
      {"cleared_at", time_or_null(alert.episode.cleared_at)},
      {"clearance", alert.episode.clearance},
      {"silenced", alert.silenced},
  };
  out["ack"] =
      alert.ack ? json{{"by", alert.ack->by}, {"at", format_timestamp(alert.ack->at)}, {"comment", alert.ack->comment}}
                : json(nullptr);
  out["resolution"] =
      alert.manual
          ? json{{"by", alert.manual->by}, {"at", format_timestamp(alert.manual->at)}, {"reason", alert.manual->reason}}
          : json(nullptr);
  return out;
}

json to_json(const SessionChange& change) {
  const auto& s = change.session;
  const auto& c = s.start.cartridge;
  return {
      {"clinic", change.clinic.str()},
      {"pen", change.pen.str()},
      {"session", s.id.str()},
      {"key", s.key},
      {"started", format_timestamp(s.started)},
      {"ended", time_or_null(s.ended)},
      {"cartridge",
       {{"id", c.id.str()},
        {"lot", c.lot.str()},
        {"expires", protocol::format_date(c.expires)},
        {"needles", c.needles},
        {"max_strokes", c.max_strokes},
        {"max_runtime_s", c.max_runtime ? json(c.max_runtime->count()) : json(nullptr)}}},
      {"operator", s.start.operator_id.str()},
      {"patient", s.start.patient.str()},
      {"patient_drift", s.patient_drift},
      {"area", protocol::to_string(s.start.area)},
      {"depth_mm", s.start.depth.value},
      {"speed", s.start.speed.value},
      {"strokes", s.end ? json(s.end->strokes) : json(nullptr)},
      {"runtime_s", s.end ? json(s.end->runtime.count()) : json(nullptr)},
      {"clearance", s.clearance},
      {"compliant", !s.clearance.empty()},
  };
}

json to_json(const CycleRecord& c) {
  json load = json::array();
  for (const auto& d : c.cycle.load) load.push_back(d.str());
  json out{
      {"key", c.key},
      {"clinic", c.clinic.str()},
      {"sterilizer", c.sterilizer.str()},
      {"cycle", c.cycle.cycle.str()},
      {"message", c.message},
      {"ts", format_timestamp(c.ts)},
      {"method", protocol::to_string(c.cycle.method)},
      {"wrapped", c.cycle.wrapped},
      {"temp_c", c.cycle.temperature.value},
      {"exposure_s", c.cycle.exposure.count()},
      {"pressure_kpa", c.cycle.pressure ? json(c.cycle.pressure->value) : json(nullptr)},
      {"load", std::move(load)},
      {"ci", protocol::to_string(c.cycle.chemical_indicator)},
      {"bi_monitored", c.cycle.biological_indicator},
      {"bi",
       c.bi ? json{{"result", protocol::to_string(c.bi->result)}, {"at", format_timestamp(c.bi->ts)}} : json(nullptr)},
      {"operator", c.cycle.operator_id.str()},
      {"state", to_string(c.state())},
      {"valid", c.state() == CycleState::valid || c.state() == CycleState::awaiting_bi},
      {"reasons", c.assessment.reasons},
      {"recalled_at", time_or_null(c.recalled_at)},
      {"recalled_by", c.recalled_by.empty() ? json(nullptr) : json(c.recalled_by)},
      {"entered_by", c.entered_by},
  };
  if (c.cycle.chemical) {
    out["agent"] = c.cycle.chemical->agent.str();
    out["concentration_pct"] = c.cycle.chemical->concentration.value;
  }
  return out;
}

}  // namespace sterifleet::engine
