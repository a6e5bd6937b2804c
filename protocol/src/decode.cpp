#include <algorithm>
#include <array>
#include <unordered_set>

#include "checked_json.hpp"
#include "field_reader.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::protocol {

namespace {

using detail::ErrorSink;
using detail::FieldReader;
using json = nlohmann::json;

// Ranges are part of the specification (protocol/README.md, "Field reference").
constexpr std::int64_t max_strokes_per_cartridge = 1'000'000'000;
constexpr std::int64_t max_lifetime_runtime_s = 10'000'000'000;
constexpr std::int64_t max_lifetime_strokes = 10'000'000'000'000;
constexpr std::int64_t day_s = 86'400;
constexpr std::uint64_t max_seq = 9'007'199'254'740'991;  // 2^53 - 1: exact in every JSON implementation
constexpr double max_depth_mm = 3.0;
constexpr double max_speed_hz = 200.0;
const Timestamp earliest_device_time = Timestamp{std::chrono::sys_days{std::chrono::year{2000} / 1 / 1}};

constexpr std::array event_types{SessionStart::type, SessionEnd::type,    CartridgeInsert::type, CartridgeRemove::type,
                                 Fault::type,        CycleComplete::type, BiResult::type,        BowieDickTest::type};

Seconds seconds(std::int64_t value) { return Seconds{value}; }

Cartridge read_cartridge(const FieldReader& in) {
  Cartridge c;
  c.id = in.id<CartridgeId>("id");
  c.lot = in.id<LotId>("lot");
  c.expires = in.date("expires");
  c.needles = static_cast<int>(in.integer("needles", 1, 100));
  c.max_strokes = in.integer("max_strokes", 1, max_strokes_per_cartridge);
  if (in.has("max_runtime_s")) c.max_runtime = seconds(in.integer("max_runtime_s", 1, day_s));
  return c;
}

Birth read_birth(const FieldReader& in) {
  Birth b;
  b.kind = parse_device_kind(in.choice("kind", {"pen", "roller", "sterilizer"})).value_or(DeviceKind::pen);
  b.model = in.text("model", max_id_length);
  b.firmware = in.text("firmware", max_id_length);
  if (in.ok() && b.model.empty()) in.fail("model", Reason::out_of_range, "must not be empty");
  if (in.ok() && b.firmware.empty()) in.fail("firmware", Reason::out_of_range, "must not be empty");
  if (in.has("heartbeat_s")) b.heartbeat = seconds(in.integer("heartbeat_s", 10, day_s));
  return b;
}

SessionStart read_session_start(const FieldReader& in) {
  SessionStart s;
  s.session = in.id<SessionId>("session");
  s.cartridge = read_cartridge(in.object("cartridge"));
  s.depth = Millimetres{in.number("depth_mm", 0.0, max_depth_mm)};
  s.speed = Hertz{in.number("speed", 1.0, max_speed_hz)};
  s.operator_id = in.id<OperatorId>("operator");
  s.patient = in.id<PatientRef>("patient");
  s.area = parse_treatment_area(in.choice("area", {"forehead", "periorbital", "nose", "cheek", "perioral", "neck",
                                                   "decolletage", "scalp", "hands", "body"}))
               .value_or(TreatmentArea::cheek);
  return s;
}

SessionEnd read_session_end(const FieldReader& in) {
  SessionEnd s;
  s.session = in.id<SessionId>("session");
  s.strokes = in.integer("strokes", 0, max_strokes_per_cartridge);
  s.runtime = seconds(in.integer("runtime_s", 0, day_s));
  return s;
}

Telemetry read_telemetry(const FieldReader& in) {
  Telemetry t;
  t.battery = Percent{in.number("battery_pct", 0.0, 100.0)};
  t.motor_runtime = seconds(in.integer("runtime_s", 0, max_lifetime_runtime_s));
  t.motor_strokes = in.integer("strokes", 0, max_lifetime_strokes);
  t.depth = Millimetres{in.number("depth_mm", 0.0, max_depth_mm)};
  t.speed = Hertz{in.number("speed", 1.0, max_speed_hz)};
  t.session = in.optional_id<SessionId>("session");
  return t;
}

std::vector<DeviceId> read_load(const FieldReader& in) {
  const json& items = in.array("load", max_load_items);
  std::vector<DeviceId> load;
  load.reserve(items.size());
  std::unordered_set<std::string_view> seen;
  for (std::size_t i = 0; i < items.size() && in.ok(); ++i) {
    const auto path = std::string("load/") + std::to_string(i);
    if (!items[i].is_string()) {
      in.fail(path, Reason::wrong_type, "expected a device id string, got " + detail::describe(items[i]));
    } else if (!is_valid_id(items[i].get_ref<const std::string&>())) {
      in.fail(path, Reason::bad_id,
              "expected a device id matching [A-Za-z0-9_.-]{1,64}, got " + detail::describe(items[i]));
    } else if (!seen.insert(items[i].get_ref<const std::string&>()).second) {
      in.fail(path, Reason::duplicate_item, "device " + detail::describe(items[i]) + " is listed twice in the load");
    } else {
      load.emplace_back(items[i].get<std::string>());
    }
  }
  return load;
}

CycleComplete read_cycle_complete(const FieldReader& in) {
  CycleComplete c;
  c.cycle = in.id<CycleId>("cycle");
  c.method = parse_method(in.choice("method", {"steam_gravity", "steam_prevac", "dry_heat", "chemical"}))
                 .value_or(Method::steam_gravity);
  c.wrapped = in.boolean("wrapped");
  c.temperature = Celsius{in.number("temp_c", 0.0, 400.0)};
  c.exposure = seconds(in.integer("exposure_s", 0, day_s));
  const bool steam = c.method == Method::steam_gravity || c.method == Method::steam_prevac;
  if (steam || in.has("pressure_kpa")) c.pressure = Kilopascals{in.number("pressure_kpa", 0.0, 1000.0)};
  c.load = read_load(in);
  c.chemical_indicator = in.choice("ci", {"pass", "fail"}) == "fail" ? PassFail::fail : PassFail::pass;
  if (in.has("bi")) c.biological_indicator = in.boolean("bi");
  c.operator_id = in.id<OperatorId>("operator");
  if (c.method == Method::chemical) {
    c.chemical = ChemicalExposure{in.id<AgentId>("agent"), Percent{in.number("concentration_pct", 0.01, 100.0)}};
  } else {
    in.forbid("agent", "only allowed when method is \"chemical\"");
    in.forbid("concentration_pct", "only allowed when method is \"chemical\"");
  }
  return c;
}

Body read_body(std::string_view type, const FieldReader& in) {
  if (type == Birth::type) return read_birth(in);
  if (type == SessionStart::type) return read_session_start(in);
  if (type == SessionEnd::type) return read_session_end(in);
  if (type == CartridgeInsert::type) return CartridgeInsert{read_cartridge(in.object("cartridge"))};
  if (type == CartridgeRemove::type) return CartridgeRemove{in.object("cartridge").id<CartridgeId>("id")};
  if (type == Fault::type) return Fault{in.id<FaultCode>("code"), in.text("detail", max_text_length)};
  if (type == Telemetry::type) return read_telemetry(in);
  if (type == CycleComplete::type) return read_cycle_complete(in);
  if (type == BiResult::type) {
    return BiResult{in.id<CycleId>("cycle"), in.choice("result", {"negative", "positive"}) == "positive"
                                                 ? BiReading::positive
                                                 : BiReading::negative};
  }
  return BowieDickTest{in.choice("result", {"pass", "fail"}) == "fail" ? PassFail::fail : PassFail::pass};
}

// The type must exist and belong on the channel it arrived on.
void check_type(const FieldReader& in, std::string_view type, Channel channel) {
  const bool is_event = std::find(event_types.begin(), event_types.end(), type) != event_types.end();
  if (!is_event && type != Birth::type && type != Telemetry::type) {
    in.fail("type", Reason::unknown_type, "unknown message type " + detail::describe(json(type)));
  } else if (channel == Channel::birth && type != Birth::type) {
    in.fail("type", Reason::wrong_channel, "the birth channel carries only type \"birth\"");
  } else if (channel == Channel::telemetry && type != Telemetry::type) {
    in.fail("type", Reason::wrong_channel, "the telemetry channel carries only type \"telemetry\"");
  } else if (channel == Channel::event && !is_event) {
    in.fail("type", Reason::wrong_channel,
            "\"" + std::string(type) + "\" belongs on the " + std::string(type) + " channel, not the event channel");
  }
}

void check_identity(const FieldReader& in, const DeviceId& claimed, const Topic& topic) {
  if (in.ok() && claimed != topic.device) {
    in.fail("device", Reason::identity_mismatch,
            "payload names device \"" + claimed.str() + "\" but was published on device \"" + topic.device.str() +
                "\"'s topic");
  }
}

void check_clock(const FieldReader& in, Timestamp ts, const DecodeContext& context) {
  if (!in.ok()) return;
  if (ts < earliest_device_time) {
    in.fail("ts", Reason::bad_timestamp, "before 2000-01-01: the device clock is not set");
  } else if (ts > context.now + context.max_clock_skew) {
    const auto ahead = std::chrono::duration_cast<std::chrono::seconds>(ts - context.now).count();
    in.fail("ts", Reason::clock_skew,
            std::to_string(ahead) + " s ahead of the receiver's clock (at most " +
                std::to_string(context.max_clock_skew.count()) + " s allowed)");
  }
}

StatusMessage read_status(const FieldReader& in, const Topic& topic) {
  StatusMessage status;
  status.clinic = topic.clinic;
  status.device = in.id<DeviceId>("device");
  check_identity(in, status.device, topic);
  status.boot = static_cast<std::uint32_t>(in.integer("boot", 0, UINT32_MAX));
  status.online = in.boolean("online");
  if (in.has("reason")) status.shutdown = in.choice("reason", {"shutdown"}) == "shutdown";
  if (in.ok() && status.online && status.shutdown) {
    in.fail("reason", Reason::bad_value, "\"shutdown\" only goes with \"online\": false");
  }
  return status;
}

DeviceMessage read_device_message(const FieldReader& in, const Topic& topic, const DecodeContext& context) {
  DeviceMessage message;
  message.clinic = topic.clinic;
  auto& envelope = message.envelope;
  envelope.device = in.id<DeviceId>("device");
  check_identity(in, envelope.device, topic);
  envelope.boot = static_cast<std::uint32_t>(in.integer("boot", 0, UINT32_MAX));
  envelope.seq = in.unsigned_integer("seq", 1, max_seq);
  envelope.ts = in.timestamp("ts").value_or(Timestamp{});
  check_clock(in, envelope.ts, context);
  const std::string type = in.string("type");  // any string that is not a v1 type is unknown_type
  check_type(in, type, topic.channel);
  const FieldReader body = in.object("body");
  if (in.ok()) message.body = read_body(type, body);
  return message;
}

}  // namespace

boost::system::result<Inbound, DecodeError> decode(std::string_view topic_text, std::string_view payload,
                                                   const DecodeContext& context) {
  if (payload.size() > max_payload_bytes) {
    return DecodeError{
        Reason::payload_too_large,
        {},
        std::to_string(payload.size()) + " bytes, at most " + std::to_string(max_payload_bytes) + " allowed"};
  }
  TopicError topic_error;
  const auto topic = parse_topic(topic_text, &topic_error);
  if (!topic) return DecodeError{Reason::bad_topic, {}, topic_error.reason};
  if (topic->channel == Channel::cmd) {
    return DecodeError{Reason::wrong_channel, {}, "the cmd channel carries commands to devices, not from them"};
  }

  DecodeError parse_error;
  const auto root = detail::parse_checked(payload, max_json_depth, parse_error);
  if (!root) return parse_error;
  if (!root->is_object()) return DecodeError{Reason::not_an_object, {}, "the payload must be a JSON object"};

  ErrorSink sink;
  const FieldReader in(*root, "", sink);
  in.version("v", protocol_version);
  if (!sink.ok()) return sink.take();
  Inbound message = topic->channel == Channel::status ? Inbound{read_status(in, *topic)}
                                                      : Inbound{read_device_message(in, *topic, context)};
  if (!sink.ok()) return sink.take();
  return message;
}

}  // namespace sterifleet::protocol
