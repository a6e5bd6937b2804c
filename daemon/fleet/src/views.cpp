#include "sterifleet/fleet/views.hpp"

#include <algorithm>
#include <optional>
#include <string>

namespace sterifleet::fleet {

namespace {

using nlohmann::json;
using protocol::format_timestamp;

}  // namespace

std::string_view display_state(const engine::DeviceRecord& d) {
  if (d.locked) return "locked";
  if (d.presence == engine::Presence::offline) return "offline";
  if (!d.is_pen()) return d.presence == engine::Presence::shutdown ? "off" : "ready";
  if (d.hygiene == engine::Hygiene::in_use) return "in_use";
  if (d.hygiene == engine::Hygiene::needs_reprocessing) return "needs_reprocessing";
  return d.presence == engine::Presence::shutdown ? "off" : "ready";
}

namespace {

// Writes one JSON object field by field. The summary is written directly rather than built as a
// nlohmann::json and dumped: the dashboard's view renders every changed device, and building the
// object cost five times what writing it does. Strings and numbers still go through nlohmann where
// they need escaping or formatting, so the text is what dump() would give.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  void text(std::string_view key, std::string_view value) {
    name(key);
    const bool plain =
        std::all_of(value.begin(), value.end(), [](char c) { return c >= ' ' && c <= '~' && c != '"' && c != '\\'; });
    if (plain) {
      out_ += '"';
      out_ += value;
      out_ += '"';
    } else {
      out_ += json(std::string(value)).dump(-1, ' ', false, json::error_handler_t::replace);
    }
  }
  void optional_text(std::string_view key, std::optional<std::string_view> value) {
    if (value) {
      text(key, *value);
    } else {
      null(key);
    }
  }
  void time(std::string_view key, protocol::Timestamp ts) {
    if (ts == protocol::Timestamp{}) {
      null(key);
    } else {
      text(key, format_timestamp(ts));
    }
  }
  void boolean(std::string_view key, bool value) {
    name(key);
    out_ += value ? "true" : "false";
  }
  void integer(std::string_view key, std::int64_t value) {
    name(key);
    out_ += std::to_string(value);
  }
  void number(std::string_view key, double value) {
    name(key);
    out_ += json(value).dump();
  }
  void null(std::string_view key) {
    name(key);
    out_ += "null";
  }
  /// A nested object, written by `fill` with a writer of its own.
  template <class F>
  void object(std::string_view key, F&& fill) {
    name(key);
    ObjectWriter inner(out_);
    fill(inner);
    inner.close();
  }
  void close() { out_ += '}'; }

 private:
  void name(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += key;
    out_ += "\":";
  }

  std::string& out_;
  bool first_ = true;
};

}  // namespace

std::string device_summary(const engine::Engine& engine, const engine::DeviceRecord& d) {
  const auto active = engine.active_alerts(d.id);
  std::string_view worst = "none";
  for (const auto* a : active) {
    if (a->severity == engine::Severity::critical) worst = "critical";
    if (a->severity == engine::Severity::warning && worst != "critical") worst = "warning";
    if (a->severity == engine::Severity::info && worst == "none") worst = "info";
  }
  std::string out;
  out.reserve(640);
  ObjectWriter o(out);
  o.text("id", d.id.str());
  o.text("clinic", d.clinic.str());
  o.optional_text("kind", d.kind ? std::optional(protocol::to_string(*d.kind)) : std::nullopt);
  o.text("model", d.model);
  o.text("firmware", d.firmware);
  o.boolean("registered", d.registered);
  o.text("state", display_state(d));
  o.text("presence", engine::to_string(d.presence));
  o.optional_text("hygiene", d.is_pen() ? std::optional(engine::to_string(d.hygiene)) : std::nullopt);
  o.boolean("locked", d.locked);
  o.time("last_seen", d.last_seen);
  o.time("last_received", d.last_received);
  o.integer("open_alerts", static_cast<std::int64_t>(active.size()));
  o.text("worst_severity", worst);
  o.optional_text("mounted_cartridge", d.mounted ? std::optional<std::string_view>(d.mounted->str()) : std::nullopt);
  o.boolean("in_maintenance", d.in_maintenance(d.last_received));
  if (d.telemetry) {
    const auto& t = d.telemetry->last;
    o.object("telemetry", [&](ObjectWriter& telemetry) {
      telemetry.text("at", format_timestamp(d.telemetry->at));
      telemetry.number("battery_pct", t.battery.value);
      telemetry.number("motor_runtime_h", static_cast<double>(t.motor_runtime.count()) / 3600.0);
      telemetry.integer("strokes", static_cast<std::int64_t>(t.motor_strokes));
      telemetry.number("depth_mm", t.depth.value);
      telemetry.number("speed", t.speed.value);
    });
  } else {
    o.null("telemetry");
  }
  o.close();
  return out;
}

}  // namespace sterifleet::fleet
