#include <nlohmann/json.hpp>

#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::protocol {

namespace {

using json = nlohmann::ordered_json;  // fields appear in the order the spec lists them

json cartridge_json(const Cartridge& c) {
  json out{{"id", c.id.str()},
           {"lot", c.lot.str()},
           {"expires", format_date(c.expires)},
           {"needles", c.needles},
           {"max_strokes", c.max_strokes}};
  if (c.max_runtime) out["max_runtime_s"] = c.max_runtime->count();
  return out;
}

struct BodyEncoder {
  json operator()(const Birth& b) const {
    json out{{"kind", to_string(b.kind)}, {"model", b.model}, {"firmware", b.firmware}};
    if (b.heartbeat) out["heartbeat_s"] = b.heartbeat->count();
    return out;
  }
  json operator()(const SessionStart& s) const {
    return {{"session", s.session.str()}, {"cartridge", cartridge_json(s.cartridge)}, {"depth_mm", s.depth.value},
            {"speed", s.speed.value},     {"operator", s.operator_id.str()},          {"patient", s.patient.str()},
            {"area", to_string(s.area)}};
  }
  json operator()(const SessionEnd& s) const {
    return {{"session", s.session.str()}, {"strokes", s.strokes}, {"runtime_s", s.runtime.count()}};
  }
  json operator()(const CartridgeInsert& c) const { return {{"cartridge", cartridge_json(c.cartridge)}}; }
  json operator()(const CartridgeRemove& c) const { return {{"cartridge", {{"id", c.cartridge.str()}}}}; }
  json operator()(const Fault& f) const { return {{"code", f.code.str()}, {"detail", f.detail}}; }
  json operator()(const Telemetry& t) const {
    json out{{"battery_pct", t.battery.value},
             {"runtime_s", t.motor_runtime.count()},
             {"strokes", t.motor_strokes},
             {"depth_mm", t.depth.value},
             {"speed", t.speed.value}};
    if (t.session) out["session"] = t.session->str();
    return out;
  }
  json operator()(const CycleComplete& c) const {
    json load = json::array();
    for (const auto& device : c.load) load.push_back(device.str());
    json out{{"cycle", c.cycle.str()},
             {"method", to_string(c.method)},
             {"wrapped", c.wrapped},
             {"temp_c", c.temperature.value},
             {"exposure_s", c.exposure.count()}};
    if (c.pressure) out["pressure_kpa"] = c.pressure->value;
    out["load"] = std::move(load);
    out["ci"] = to_string(c.chemical_indicator);
    if (c.biological_indicator) out["bi"] = true;
    out["operator"] = c.operator_id.str();
    if (c.chemical) {
      out["agent"] = c.chemical->agent.str();
      out["concentration_pct"] = c.chemical->concentration.value;
    }
    return out;
  }
  json operator()(const BiResult& b) const { return {{"cycle", b.cycle.str()}, {"result", to_string(b.result)}}; }
  json operator()(const BowieDickTest& t) const { return {{"result", to_string(t.result)}}; }
};

Channel channel_of(const Body& body) {
  if (std::holds_alternative<Birth>(body)) return Channel::birth;
  if (std::holds_alternative<Telemetry>(body)) return Channel::telemetry;
  return Channel::event;
}

}  // namespace

std::string encode(const DeviceMessage& message) {
  const auto& e = message.envelope;
  const json out{{"v", protocol_version},
                 {"device", e.device.str()},
                 {"boot", e.boot},
                 {"seq", e.seq},
                 {"ts", format_timestamp(e.ts)},
                 {"type", type_name(message.body)},
                 {"body", std::visit(BodyEncoder{}, message.body)}};
  return out.dump();
}

std::string encode(const StatusMessage& message) {
  json out{
      {"v", protocol_version}, {"device", message.device.str()}, {"boot", message.boot}, {"online", message.online}};
  if (message.shutdown) out["reason"] = "shutdown";
  return out.dump();
}

std::string topic_of(const DeviceMessage& message) {
  return format_topic({message.clinic, message.envelope.device, channel_of(message.body)});
}

std::string topic_of(const StatusMessage& message) {
  return format_topic({message.clinic, message.device, Channel::status});
}

}  // namespace sterifleet::protocol
