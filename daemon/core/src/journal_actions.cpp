#include "sterifleet/core/journal_actions.hpp"

#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::core {

namespace {

using nlohmann::json;
using protocol::format_timestamp;

std::optional<Timestamp> time_field(const json& body, const char* key) {
  if (!body.contains(key) || !body[key].is_string()) return std::nullopt;
  return protocol::parse_timestamp(body[key].get<std::string>());
}

}  // namespace

engine::Effects apply_action(engine::Engine& engine, const store::Action& action, std::chrono::seconds max_clock_skew) {
  const json& body = action.body;
  const auto at = action.at;
  if (action.kind == "start") {
    engine.note_start(at);
    return {};
  }
  if (action.kind == "tick") return engine.tick(at);
  if (action.kind == "compact") {
    engine.compact(time_field(body, "cut").value_or(at));
    return {};
  }
  if (action.kind == "acknowledge") {
    return engine.acknowledge(body.value("alert", ""), action.actor, body.value("comment", ""), at);
  }
  if (action.kind == "resolve") {
    return engine.resolve(body.value("alert", ""), action.actor, body.value("reason", ""), at);
  }
  if (action.kind == "maintenance") {
    const auto from = time_field(body, "from");
    const auto to = time_field(body, "to");
    engine::Effects refused;
    if (!from || !to) {
      refused.refusal = engine::Refusal{"bad_request", "from and to must be RFC 3339 UTC timestamps"};
      return refused;
    }
    return engine.add_maintenance(protocol::DeviceId{body.value("device", "")}, {*from, *to, body.value("reason", "")},
                                  action.actor, at);
  }
  if (action.kind == "policy") {
    auto parsed = engine::parse_policy(body.value("text", ""), body.value("source", "policy"));
    if (auto* policy = std::get_if<engine::Policy>(&parsed))
      return engine.set_policy(std::move(*policy), action.actor, at);
    engine::Effects refused;
    refused.refusal = engine::Refusal{"bad_request", std::get<1>(parsed).front().to_string()};
    return refused;
  }
  if (action.kind == "manual_reprocessing") {
    // The entry is checked by the protocol codec as the body of a cycle.complete from device "manual".
    const std::string clinic = body.value("clinic", "");
    json envelope{{"v", 1},
                  {"device", "manual"},
                  {"boot", 0},
                  {"seq", 1},
                  {"ts", format_timestamp(time_field(body, "at").value_or(at))},
                  {"type", "cycle.complete"},
                  {"body", body.value("cycle", json::object())}};
    const auto decoded = protocol::decode(
        protocol::format_topic({protocol::ClinicId{clinic}, protocol::DeviceId{"manual"}, protocol::Channel::event}),
        envelope.dump(), {at, max_clock_skew});
    engine::Effects refused;
    if (!decoded) {
      refused.refusal = engine::Refusal{"bad_request", decoded.error().message()};
      return refused;
    }
    const auto& message = std::get<protocol::DeviceMessage>(*decoded);
    if (!message.drift.empty()) {
      // A person's entry is held to the letter of the spec: nothing to judge conservatively.
      const auto& drift = message.drift.front();
      refused.refusal = engine::Refusal{"bad_request", drift.path + ": " + drift.value + ": " + drift.detail};
      return refused;
    }
    return engine.record_manual_reprocessing(
        {message.clinic, body.value("id", ""), message.envelope.ts, std::get<protocol::CycleComplete>(message.body)},
        action.actor, at);
  }
  engine::Effects refused;
  refused.refusal = engine::Refusal{"bad_request", "unknown action " + action.kind};
  return refused;
}

}  // namespace sterifleet::core
