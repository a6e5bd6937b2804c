#include "relay_envelope.hpp"

#include <nlohmann/json.hpp>

namespace sterifleet::cluster {

using nlohmann::json;

std::string encode(const RelayedEvent& event) {
  json out{{"daemon", event.daemon}, {"run", event.run}, {"seq", event.seq}, {"clinic", event.clinic}};
  if (const auto* text = std::get_if<std::string>(&event.content))
    out["event"] = *text;
  else
    out["spill"] = std::get<SpillId>(event.content).id;
  return out.dump();
}

namespace {

bool text_field(const json& in, const char* name, std::string& to) {
  const auto it = in.find(name);
  if (it == in.end() || !it->is_string()) return false;
  to = it->get<std::string>();
  return true;
}

}  // namespace

boost::system::result<RelayedEvent, EnvelopeError> decode(std::string_view payload) {
  const auto in = json::parse(payload, nullptr, false);
  if (!in.is_object()) return EnvelopeError{"not a JSON object"};
  RelayedEvent event;
  if (!text_field(in, "daemon", event.daemon) || event.daemon.empty()) return EnvelopeError{"no daemon id"};
  if (!text_field(in, "run", event.run) || event.run.empty()) return EnvelopeError{"no run id"};
  if (!text_field(in, "clinic", event.clinic)) return EnvelopeError{"no clinic"};
  const auto seq = in.find("seq");
  if (seq == in.end() || !seq->is_number_unsigned() || seq->get<std::uint64_t>() == 0)
    return EnvelopeError{"no sequence number from 1"};
  event.seq = seq->get<std::uint64_t>();
  std::string text;
  const auto spill = in.find("spill");
  if (text_field(in, "event", text)) {
    if (spill != in.end()) return EnvelopeError{"both an event and a spill id"};
    event.content = std::move(text);
  } else if (spill != in.end() && spill->is_number_integer() && spill->get<std::int64_t>() > 0) {
    event.content = SpillId{spill->get<std::int64_t>()};
  } else {
    return EnvelopeError{"neither an event text nor a spill id"};
  }
  return event;
}

RunSequences::Verdict RunSequences::accept(const std::string& daemon, const std::string& run, std::uint64_t seq) {
  auto [it, first] = last_.try_emplace(daemon, run, seq);
  auto& [known_run, last] = it->second;
  if (first || known_run != run) {
    known_run = run;
    last = seq;
    return {.deliver = true, .lost = 0};
  }
  if (seq <= last) return {.deliver = false, .lost = 0};
  const auto lost = seq - last - 1;
  last = seq;
  return {.deliver = true, .lost = lost};
}

}  // namespace sterifleet::cluster
