#include <algorithm>
#include <array>
#include <boost/container/small_vector.hpp>
#include <unordered_set>

#include "checked_json.hpp"
#include "decode_paths.hpp"
#include "field_reader.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::protocol {

namespace {

using detail::ErrorSink;
using detail::FieldReader;
using detail::JsonFieldReader;
using detail::JsonKind;
using detail::NlohmannValue;
using detail::read_id;
using detail::read_optional_id;
using detail::SimdValue;
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

template <class Reader>
Cartridge read_cartridge(const Reader& in) {
  Cartridge c;
  c.id = read_id<CartridgeId>(in, "id");
  c.lot = LotId{in.descriptive_id("lot")};
  c.expires = in.date("expires");
  c.needles = in.descriptive_integer("needles", 1, 100);
  c.max_strokes = in.integer("max_strokes", 1, max_strokes_per_cartridge);
  if (in.has("max_runtime_s")) c.max_runtime = seconds(in.integer("max_runtime_s", 1, day_s));
  in.unknown_fields({"id", "lot", "expires", "needles", "max_strokes", "max_runtime_s"});
  return c;
}

template <class Reader>
Birth read_birth(const Reader& in) {
  Birth b;
  const auto kind = in.listed("kind", {"pen", "roller", "sterilizer"});
  const auto known_kind = parse_device_kind(kind);
  b.kind = known_kind ? Listed<DeviceKind>(*known_kind) : Listed<DeviceKind>::other(kind);
  b.model = in.descriptive_text("model", 1, max_id_length);
  b.firmware = in.descriptive_text("firmware", 1, max_id_length);
  if (in.has("heartbeat_s")) {
    // Out of range, the declared heartbeat is drift: the policy's default for the kind applies.
    const auto heartbeat = in.descriptive_integer("heartbeat_s", 10, day_s);
    if (heartbeat >= 10 && heartbeat <= day_s) b.heartbeat = seconds(heartbeat);
  }
  in.unknown_fields({"kind", "model", "firmware", "heartbeat_s"});
  return b;
}

template <class Reader>
SessionStart read_session_start(const Reader& in) {
  SessionStart s;
  s.session = read_id<SessionId>(in, "session");
  s.cartridge = read_cartridge(in.object("cartridge"));
  s.depth = Millimetres{in.number("depth_mm", 0.0, max_depth_mm)};
  s.speed = Hertz{in.descriptive_number("speed", 1.0, max_speed_hz)};
  s.operator_id = OperatorId{in.descriptive_id("operator")};
  s.patient = PatientRef{in.descriptive_id("patient", Reader::Shown::withheld)};
  const auto area = in.listed("area", {"forehead", "periorbital", "nose", "cheek", "perioral", "neck", "decolletage",
                                       "scalp", "hands", "body"});
  const auto known_area = parse_treatment_area(area);
  s.area = known_area ? Listed<TreatmentArea>(*known_area) : Listed<TreatmentArea>::other(area);
  in.unknown_fields({"session", "cartridge", "depth_mm", "speed", "operator", "patient", "area"});
  return s;
}

template <class Reader>
SessionEnd read_session_end(const Reader& in) {
  SessionEnd s;
  s.session = read_id<SessionId>(in, "session");
  s.strokes = in.integer("strokes", 0, max_strokes_per_cartridge);
  s.runtime = seconds(in.integer("runtime_s", 0, day_s));
  in.unknown_fields({"session", "strokes", "runtime_s"});
  return s;
}

template <class Reader>
Telemetry read_telemetry(const Reader& in) {
  Telemetry t;
  t.battery = Percent{in.number("battery_pct", 0.0, 100.0)};
  t.motor_runtime = seconds(in.integer("runtime_s", 0, max_lifetime_runtime_s));
  t.motor_strokes = in.descriptive_integer("strokes", 0, max_lifetime_strokes);
  t.depth = Millimetres{in.number("depth_mm", 0.0, max_depth_mm)};
  t.speed = Hertz{in.descriptive_number("speed", 1.0, max_speed_hz)};
  t.session = read_optional_id<SessionId>(in, "session");
  in.unknown_fields({"battery_pct", "runtime_s", "strokes", "depth_mm", "speed", "session"});
  return t;
}

template <class Reader>
std::vector<DeviceId> read_load(const Reader& in) {
  std::vector<DeviceId> load;
  const auto items = in.array("load", max_load_items);
  if (!items) return load;
  load.reserve(items->size());
  std::unordered_set<std::string_view> seen;
  std::size_t i = 0;
  items->for_each_item([&](const auto& item) {
    const auto index = i++;
    if (!in.ok()) return;
    if (item.kind() != JsonKind::string) {
      in.fail_item("load", index, Reason::wrong_type, "expected a device id string, got " + item.describe());
    } else if (!is_valid_id(item.string())) {
      in.fail_item("load", index, Reason::bad_id,
                   "expected a device id matching [A-Za-z0-9_.-]{1,64}, got " + item.describe());
    } else if (!seen.insert(item.string()).second) {
      in.fail_item("load", index, Reason::duplicate_item, "device " + item.describe() + " is listed twice in the load");
    } else {
      load.emplace_back(std::string(item.string()));
    }
  });
  return load;
}

template <class Reader>
CycleComplete read_cycle_complete(const Reader& in) {
  CycleComplete c;
  c.cycle = read_id<CycleId>(in, "cycle");
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
  c.operator_id = OperatorId{in.descriptive_id("operator")};
  if (c.method == Method::chemical) {
    c.chemical = ChemicalExposure{read_id<AgentId>(in, "agent"), Percent{in.number("concentration_pct", 0.01, 100.0)}};
  } else {
    in.forbid("agent", "only allowed when method is \"chemical\"");
    in.forbid("concentration_pct", "only allowed when method is \"chemical\"");
  }
  in.unknown_fields({"cycle", "method", "wrapped", "temp_c", "exposure_s", "pressure_kpa", "load", "ci", "bi",
                     "operator", "agent", "concentration_pct"});
  return c;
}

template <class Reader>
CartridgeRemove read_cartridge_remove(const Reader& in) {
  const auto cartridge = in.object("cartridge");
  CartridgeRemove remove{read_id<CartridgeId>(cartridge, "id")};
  cartridge.unknown_fields({"id"});
  in.unknown_fields({"cartridge"});
  return remove;
}

template <class Reader>
Fault read_fault(const Reader& in) {
  Fault fault{FaultCode{in.descriptive_id("code")}, in.descriptive_text("detail", 0, max_text_length)};
  in.unknown_fields({"code", "detail"});
  return fault;
}

template <class Reader>
BiResult read_bi_result(const Reader& in) {
  BiResult bi{read_id<CycleId>(in, "cycle"),
              in.choice("result", {"negative", "positive"}) == "positive" ? BiReading::positive : BiReading::negative};
  in.unknown_fields({"cycle", "result"});
  return bi;
}

template <class Reader>
BowieDickTest read_bowie_dick(const Reader& in) {
  BowieDickTest test{in.choice("result", {"pass", "fail"}) == "fail" ? PassFail::fail : PassFail::pass};
  in.unknown_fields({"result"});
  return test;
}

template <class Reader>
Body read_body(std::string_view type, const Reader& in) {
  if (type == Birth::type) return read_birth(in);
  if (type == SessionStart::type) return read_session_start(in);
  if (type == SessionEnd::type) return read_session_end(in);
  if (type == CartridgeInsert::type) {
    CartridgeInsert insert{read_cartridge(in.object("cartridge"))};
    in.unknown_fields({"cartridge"});
    return insert;
  }
  if (type == CartridgeRemove::type) return read_cartridge_remove(in);
  if (type == Fault::type) return read_fault(in);
  if (type == Telemetry::type) return read_telemetry(in);
  if (type == CycleComplete::type) return read_cycle_complete(in);
  if (type == BiResult::type) return read_bi_result(in);
  return read_bowie_dick(in);
}

// The type must exist and belong on the channel it arrived on.
template <class Reader>
void check_type(const Reader& in, std::string_view type, Channel channel) {
  const bool is_event = std::find(event_types.begin(), event_types.end(), type) != event_types.end();
  if (!is_event && type != Birth::type && type != Telemetry::type) {
    const json quoted(type);
    in.fail("type", Reason::unknown_type, "unknown message type " + NlohmannValue(quoted).describe());
  } else if (channel == Channel::birth && type != Birth::type) {
    in.fail("type", Reason::wrong_channel, "the birth channel carries only type \"birth\"");
  } else if (channel == Channel::telemetry && type != Telemetry::type) {
    in.fail("type", Reason::wrong_channel, "the telemetry channel carries only type \"telemetry\"");
  } else if (channel == Channel::event && !is_event) {
    in.fail("type", Reason::wrong_channel,
            "\"" + std::string(type) + "\" belongs on the " + std::string(type) + " channel, not the event channel");
  }
}

template <class Reader>
void check_identity(const Reader& in, const DeviceId& claimed, const Topic& topic) {
  if (in.ok() && claimed != topic.device) {
    in.fail("device", Reason::identity_mismatch,
            "payload names device \"" + claimed.str() + "\" but was published on device \"" + topic.device.str() +
                "\"'s topic");
  }
}

template <class Reader>
void check_clock(const Reader& in, Timestamp ts, const DecodeContext& context) {
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

template <class Reader>
StatusMessage read_status(const Reader& in, const Topic& topic) {
  StatusMessage status;
  status.clinic = topic.clinic;
  status.device = read_id<DeviceId>(in, "device");
  check_identity(in, status.device, topic);
  status.boot = static_cast<std::uint32_t>(in.integer("boot", 0, UINT32_MAX));
  status.online = in.boolean("online");
  // An unlisted reason is drift: the device is then expected back, as after a dropped connection.
  if (in.has("reason")) status.shutdown = in.listed("reason", {"shutdown"}) == "shutdown";
  if (in.ok() && status.online && status.shutdown) {
    in.fail("reason", Reason::bad_value, "\"shutdown\" only goes with \"online\": false");
  }
  in.unknown_fields({"v", "device", "boot", "online", "reason"});
  return status;
}

// `seen`, when given, collects what the envelope said while it was still well formed.
template <class Reader>
DeviceMessage read_device_message(const Reader& in, const Topic& topic, const DecodeContext& context,
                                  SeenEnvelope* seen) {
  DeviceMessage message;
  message.clinic = topic.clinic;
  auto& envelope = message.envelope;
  envelope.device = read_id<DeviceId>(in, "device");
  check_identity(in, envelope.device, topic);
  envelope.boot = static_cast<std::uint32_t>(in.integer("boot", 0, UINT32_MAX));
  if (seen && in.ok()) seen->boot = envelope.boot;
  envelope.seq = in.unsigned_integer("seq", 1, max_seq);
  if (seen && in.ok()) seen->seq = envelope.seq;
  envelope.ts = in.timestamp("ts").value_or(Timestamp{});
  check_clock(in, envelope.ts, context);
  if (seen && in.ok()) seen->ts = envelope.ts;
  const std::string type = in.string("type");  // any string that is not a v1 type is unknown_type
  if (seen && in.ok()) seen->type = type;
  check_type(in, type, topic.channel);
  const auto body = in.object("body");
  if (in.ok()) message.body = read_body(type, body);
  in.unknown_fields({"v", "device", "boot", "seq", "ts", "type", "body"});
  return message;
}

template <class Value>
Inbound read_inbound(const detail::FieldReader<Value>& in, const Topic& topic, const DecodeContext& context,
                     SeenEnvelope* seen = nullptr) {
  in.version("v", protocol_version);
  if (!in.ok()) return {};
  return topic.channel == Channel::status ? Inbound{read_status(in, topic)}
                                          : Inbound{read_device_message(in, topic, context, seen)};
}

// The message with the drift its reading found.
Inbound with_drift(Inbound message, ErrorSink& sink) {
  std::visit([&](auto& m) { m.drift = sink.take_drift(); }, message);
  return message;
}

// What parse_checked refuses besides syntax: nesting deeper than max_json_depth (the root object is
// level 1) and a key twice in one object.
bool within_limits(simdjson::dom::element value, std::size_t depth) {
  switch (value.type()) {
    case simdjson::dom::element_type::OBJECT: {
      if (depth > max_json_depth) return false;
      // Device messages have a handful of keys: those are compared pairwise without allocating; a
      // big object is sorted, so that a hostile one costs n log n and not n squared.
      boost::container::small_vector<std::string_view, 16> keys;
      const simdjson::dom::object object(value);
      for (const auto field : object) {
        keys.push_back(field.key);
        if (!within_limits(field.value, depth + 1)) return false;
      }
      if (keys.size() <= 16) {
        for (auto key = keys.begin(); key != keys.end(); ++key) {
          if (std::find(std::next(key), keys.end(), *key) != keys.end()) return false;
        }
        return true;
      }
      std::sort(keys.begin(), keys.end());
      return std::adjacent_find(keys.begin(), keys.end()) == keys.end();
    }
    case simdjson::dom::element_type::ARRAY: {
      if (depth > max_json_depth) return false;
      const simdjson::dom::array array(value);
      for (const auto item : array) {
        if (!within_limits(item, depth + 1)) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

}  // namespace

namespace detail {

std::optional<Inbound> decode_fast(const Topic& topic, std::string_view payload, const DecodeContext& context) {
  // One parser a thread: it keeps its buffers, so a message costs no allocation to parse.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(payload.data(), payload.size()).get(root) != simdjson::SUCCESS) return std::nullopt;
  if (root.type() != simdjson::dom::element_type::OBJECT || !within_limits(root, 1)) return std::nullopt;
  ErrorSink sink;
  const FieldReader<SimdValue> in(SimdValue(root), "", sink);
  auto message = read_inbound(in, topic, context);
  if (!sink.ok()) return std::nullopt;
  return with_drift(std::move(message), sink);
}

boost::system::result<Inbound, DecodeError> decode_explained(const Topic& topic, std::string_view payload,
                                                             const DecodeContext& context) {
  DecodeError parse_error;
  const auto root = parse_checked(payload, max_json_depth, parse_error);
  if (!root) return parse_error;
  if (!root->is_object()) return DecodeError{Reason::not_an_object, {}, "the payload must be a JSON object"};
  ErrorSink sink;
  SeenEnvelope seen;
  auto message = read_inbound(JsonFieldReader(NlohmannValue(*root), "", sink), topic, context, &seen);
  if (!sink.ok()) {
    auto error = sink.take();
    error.seen = std::move(seen);
    return error;
  }
  return with_drift(std::move(message), sink);
}

}  // namespace detail

boost::system::result<CycleComplete, DecodeError> decode_cycle_body(const nlohmann::json& body, std::string_view path,
                                                                    std::vector<Drift>& drift) {
  if (!body.is_object()) return DecodeError{Reason::wrong_type, std::string(path), "must be an object"};
  ErrorSink sink;
  auto cycle = read_cycle_complete(JsonFieldReader(NlohmannValue(body), std::string(path), sink));
  if (!sink.ok()) return sink.take();
  drift = sink.take_drift();
  return cycle;
}

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
  // Nearly every message is well formed: simdjson reads those. Whatever it refuses, for whatever
  // reason, the explaining path decodes again, so a rejection always reads the same.
  if (auto message = detail::decode_fast(*topic, payload, context)) return std::move(*message);
  return detail::decode_explained(*topic, payload, context);
}

}  // namespace sterifleet::protocol
