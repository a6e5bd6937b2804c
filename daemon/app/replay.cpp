#include "replay.hpp"

#include <algorithm>
#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "sterifleet/engine/engine.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::app {

namespace {

using nlohmann::json;
using protocol::format_timestamp;

// Recorded traffic is judged by its own clocks, not today's: no message is "in the future".
const protocol::Timestamp far_future = protocol::Timestamp{std::chrono::sys_days{std::chrono::year{9999} / 1 / 1}};

void reject(std::ostream& out, std::size_t line, std::string_view reason, const std::string& message,
            ReplaySummary& summary) {
  ++summary.rejected;
  out << json{{"kind", "rejected"}, {"line", line}, {"reason", reason}, {"message", message}}.dump() << '\n';
}

json alert_line(const engine::Alert& a) {
  return {{"kind", "alert"},
          {"rule", engine::to_string(a.rule)},
          {"subject", a.subject},
          {"device", a.episode.device.str()},
          {"severity", engine::to_string(a.severity)},
          {"state", engine::to_string(a.state())},
          {"opened_at", format_timestamp(a.episode.opened_at)},
          {"occurrences", a.episode.occurrences},
          {"cleared_at", a.episode.cleared_at ? json(format_timestamp(*a.episode.cleared_at)) : json(nullptr)},
          {"summary", a.episode.summary}};
}

json cycle_line(const engine::CycleRecord& c) {
  const auto state = c.state();
  return {{"kind", "cycle"},
          {"cycle", c.key},
          {"ts", format_timestamp(c.ts)},
          {"state", engine::to_string(state)},
          {"valid", state == engine::CycleState::valid || state == engine::CycleState::awaiting_bi},
          {"reasons", c.assessment.reasons}};
}

}  // namespace

ReplaySummary replay(std::istream& in, std::ostream& out, const ReplayOptions& options) {
  ReplaySummary summary;
  std::optional<engine::Engine> engine;
  protocol::Timestamp latest{};
  std::string text;
  while (std::getline(in, text)) {
    ++summary.lines;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const json line = json::parse(text, nullptr, false);
    if (line.is_discarded() || !line.is_object() || !line.contains("topic") || !line["topic"].is_string() ||
        !line.contains("payload")) {
      reject(out, summary.lines, "bad_line", "expected {\"topic\": \"...\", \"payload\": {...}}", summary);
      continue;
    }
    const std::string payload =
        line["payload"].is_string() ? line["payload"].get<std::string>() : line["payload"].dump();
    const auto decoded = protocol::decode(line["topic"].get<std::string>(), payload, {far_future});
    if (!decoded) {
      reject(out, summary.lines, protocol::to_string(decoded.error().reason), decoded.error().message(), summary);
      continue;
    }
    std::optional<protocol::Timestamp> received;
    if (line.contains("received_at") && line["received_at"].is_string()) {
      received = protocol::parse_timestamp(line["received_at"].get<std::string>());
    }
    const auto* device_message = std::get_if<protocol::DeviceMessage>(&*decoded);
    const protocol::Timestamp ts = device_message ? device_message->envelope.ts : received.value_or(latest);
    if (options.until && ts > *options.until) continue;
    const protocol::Timestamp at = received.value_or(ts);
    if (!engine) engine.emplace(options.policy, at);
    latest = std::max(latest, at);
    const auto effects = device_message ? engine->apply(*device_message, at)
                                        : engine->apply(std::get<protocol::StatusMessage>(*decoded), at);
    if (effects.refusal && effects.refusal->code != "duplicate") {
      reject(out, summary.lines, effects.refusal->code, effects.refusal->message, summary);
      continue;
    }
    ++summary.applied;
  }
  if (!engine) return summary;
  engine->tick(options.until.value_or(latest));

  std::vector<const engine::Alert*> alerts;
  engine->for_each_alert([&](const engine::Alert& a) {
    if (!a.withdrawn) alerts.push_back(&a);
  });
  std::sort(alerts.begin(), alerts.end(), [](const auto* a, const auto* b) {
    return std::tie(a->episode.opened_at, a->rule, a->subject, a->episode.trigger) <
           std::tie(b->episode.opened_at, b->rule, b->subject, b->episode.trigger);
  });
  for (const auto* a : alerts) out << alert_line(*a).dump() << '\n';

  std::vector<const engine::CycleRecord*> cycles;
  engine->for_each_cycle([&](const engine::CycleRecord& c) { cycles.push_back(&c); });
  std::sort(cycles.begin(), cycles.end(),
            [](const auto* a, const auto* b) { return std::tie(a->ts, a->key) < std::tie(b->ts, b->key); });
  for (const auto* c : cycles) out << cycle_line(*c).dump() << '\n';
  return summary;
}

}  // namespace sterifleet::app
