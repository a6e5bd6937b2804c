#include "relay_envelope.hpp"

#include <nlohmann/json.hpp>

namespace sterifleet::cluster {

using nlohmann::json;

std::string encode(const RelayedEvent& event) {
  json header{{"daemon", event.daemon}, {"run", event.run}, {"seq", event.seq}, {"clinic", event.clinic}};
  const auto* text = std::get_if<std::string>(&event.content);
  if (!text) header["spill"] = std::get<SpillId>(event.content).id;
  // dump() escapes every newline, so the first one ends the header.
  return header.dump() + '\n' + (text ? *text : std::string());
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
  const auto newline = payload.find('\n');
  if (newline == std::string_view::npos) return EnvelopeError{"no header line"};
  const auto header = json::parse(payload.substr(0, newline), nullptr, false);
  const auto body = payload.substr(newline + 1);
  if (!header.is_object()) return EnvelopeError{"the header is not a JSON object"};
  RelayedEvent event;
  if (!text_field(header, "daemon", event.daemon) || event.daemon.empty()) return EnvelopeError{"no daemon id"};
  if (!text_field(header, "run", event.run) || event.run.empty()) return EnvelopeError{"no run id"};
  if (!text_field(header, "clinic", event.clinic)) return EnvelopeError{"no clinic"};
  const auto seq = header.find("seq");
  if (seq == header.end() || !seq->is_number_unsigned() || seq->get<std::uint64_t>() == 0)
    return EnvelopeError{"no sequence number from 1"};
  event.seq = seq->get<std::uint64_t>();
  const auto spill = header.find("spill");
  if (spill == header.end()) {
    if (body.empty()) return EnvelopeError{"neither an event text nor a spill id"};
    event.content = std::string(body);
  } else if (!body.empty()) {
    return EnvelopeError{"both an event text and a spill id"};
  } else if (spill->is_number_integer() && spill->get<std::int64_t>() > 0) {
    event.content = SpillId{spill->get<std::int64_t>()};
  } else {
    return EnvelopeError{"a spill id that is no positive integer"};
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
