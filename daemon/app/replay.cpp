#include "replay.hpp"

#include <algorithm>
#include <istream>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <tuple>

#include "sterifleet/crypto/hex.hpp"
#include "sterifleet/engine/engine.hpp"
#include "sterifleet/fleet/journal_actions.hpp"

namespace sterifleet::app {

namespace {

using nlohmann::json;
using protocol::format_timestamp;

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

// The bytes of a recorded payload: the text as received, a JSON value, or hex for bytes that are not UTF-8.
std::optional<std::string> payload_of(const json& line) {
  if (line.contains("payload_hex") && line["payload_hex"].is_string()) {
    return crypto::from_hex(line["payload_hex"].get_ref<const std::string&>());
  }
  if (!line.contains("payload")) return std::nullopt;
  return line["payload"].is_string() ? line["payload"].get<std::string>() : line["payload"].dump();
}

std::optional<protocol::Timestamp> time_of(const json& line, const char* key) {
  if (!line.contains(key) || !line[key].is_string()) return std::nullopt;
  return protocol::parse_timestamp(line[key].get<std::string>());
}

// The device time a recorded message claims, to stop at --until: read from the payload without judging it.
std::optional<protocol::Timestamp> device_time(const std::string& payload) {
  const json parsed = json::parse(payload, nullptr, false);
  if (!parsed.is_object()) return std::nullopt;
  return time_of(parsed, "ts");
}

// What the daemon keeps under a message key, as far as replay needs it: which payload it was.
class KeptPayloads {
 public:
  void keep(const protocol::Envelope& env, std::string_view payload) {
    kept_.emplace(std::make_tuple(env.device.str(), env.boot, env.seq), std::hash<std::string_view>{}(payload));
  }
  std::optional<bool> same(const protocol::Envelope& env, std::string_view payload) const {
    const auto it = kept_.find(std::make_tuple(env.device.str(), env.boot, env.seq));
    if (it == kept_.end()) return std::nullopt;
    return it->second == std::hash<std::string_view>{}(payload);
  }

 private:
  std::map<std::tuple<std::string, std::uint32_t, std::uint64_t>, std::size_t> kept_;
};

}  // namespace

ReplaySummary replay(std::istream& in, std::ostream& out, const ReplayOptions& options) {
  ReplaySummary summary;
  std::optional<engine::Engine> engine;
  protocol::Timestamp latest{};
  std::int64_t quarantined = 0;
  KeptPayloads kept;
  const engine::Intake intake{options.max_clock_skew, [&](const protocol::Envelope& env, std::string_view payload) {
                                return kept.same(env, payload);
                              }};
  std::string text;
  while (std::getline(in, text)) {
    ++summary.lines;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const json line = json::parse(text, nullptr, false);
    if (line.is_object() && line.contains("action") && line["action"].is_object()) {
      const auto& recorded = line["action"];
      const auto at = time_of(recorded, "at");
      if (!at || !recorded.contains("kind") || !recorded["kind"].is_string()) {
        reject(out, summary.lines, "bad_line", "expected {\"action\": {\"kind\": ..., \"at\": ...}}", summary);
        continue;
      }
      const auto read = fleet::read_action({*at, recorded.value("actor", "engine"), recorded["kind"].get<std::string>(),
                                            recorded.value("body", json::object())},
                                           options.max_clock_skew);
      // Through the pointer it is checked by: after a separate has-value check, GCC cannot see that the
      // unchecked operator-> never yields null, and warns (-Wnull-dereference) at -O2.
      const auto* action = read.operator->();
      if (action == nullptr) {
        reject(out, summary.lines, "bad_action", read.error().message, summary);
        continue;
      }
      const bool policy_reload = std::holds_alternative<fleet::action::SetPolicy>(action->what);
      if ((options.until && action->at > *options.until) || (policy_reload && !options.policy_reloads)) continue;
      if (!engine) engine.emplace(options.policy, action->at);
      latest = std::max(latest, action->at);
      fleet::apply(*engine, *action);
      continue;
    }
    const auto payload = line.is_object() ? payload_of(line) : std::nullopt;
    if (!payload || !line.contains("topic") || !line["topic"].is_string()) {
      reject(out, summary.lines, "bad_line", "expected {\"topic\": \"...\", \"payload\": {...}}", summary);
      continue;
    }
    const auto received_at = time_of(line, "received_at");
    const auto ts = options.until || !received_at ? device_time(*payload) : std::nullopt;
    const protocol::Timestamp at = received_at.value_or(ts.value_or(latest));
    // A status has no device time: its receipt time stands for it.
    if (options.until && ts.value_or(at) > *options.until) continue;
    if (!engine) engine.emplace(options.policy, at);
    latest = std::max(latest, at);
    const auto id = line.contains("quarantine_id") && line["quarantine_id"].is_number_integer()
                        ? line["quarantine_id"].get<std::int64_t>()
                        : quarantined + 1;
    const auto topic = line["topic"].get<std::string>();
    engine::RawMessage raw{topic, *payload, at, false, id};
    const std::string reason = line.value("reason", "");
    if (line.value("judged_before_fail_safe", false)) raw.judged_before_fail_safe = engine::EarlierJudgement{reason};
    const auto judged = engine->receive(raw, intake);
    switch (judged.disposition) {
      case engine::Disposition::accepted:
        if (const auto* m = std::get_if<protocol::DeviceMessage>(&*judged.message)) kept.keep(m->envelope, *payload);
        ++summary.applied;
        break;
      case engine::Disposition::quarantined:
        quarantined = std::max(quarantined, id);
        reject(out, summary.lines, judged.reason, judged.detail, summary);
        break;
      case engine::Disposition::duplicate:
        ++summary.applied;
        break;
    }
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
