#include "sterifleet/protocol/command.hpp"

#include <nlohmann/json.hpp>

#include "checked_json.hpp"
#include "field_reader.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/message.hpp"

namespace sterifleet::protocol {

namespace {

using json = nlohmann::ordered_json;

constexpr std::uint64_t max_seq = 9'007'199'254'740'991;

struct CommandNamer {
  std::string_view operator()(const Lock&) const { return "lock"; }
  std::string_view operator()(const Unlock&) const { return "unlock"; }
  std::string_view operator()(const Replay&) const { return "replay"; }
  std::string_view operator()(const Rebirth&) const { return "rebirth"; }
};

struct CommandFields {
  json& out;
  void operator()(const Lock& lock) const { out["reason"] = lock.reason; }
  void operator()(const Unlock& unlock) const { out["reason"] = unlock.reason; }
  void operator()(const Replay& replay) const {
    out["boot"] = replay.boot;
    out["from_seq"] = replay.from_seq;
    if (replay.to_seq) out["to_seq"] = *replay.to_seq;
  }
  void operator()(const Rebirth&) const {}
};

CommandBody read_command_body(std::string_view name, const detail::JsonFieldReader& in) {
  if (name == "lock") return Lock{in.text("reason", max_text_length)};
  if (name == "unlock") return Unlock{in.text("reason", max_text_length)};
  if (name == "replay") {
    Replay replay;
    replay.boot = static_cast<std::uint32_t>(in.integer("boot", 0, UINT32_MAX));
    replay.from_seq = in.unsigned_integer("from_seq", 1, max_seq);
    if (in.has("to_seq")) replay.to_seq = in.unsigned_integer("to_seq", replay.from_seq, max_seq);
    return replay;
  }
  return Rebirth{};
}

}  // namespace

std::string_view command_name(const CommandBody& body) noexcept { return std::visit(CommandNamer{}, body); }

std::string encode_command(const Command& command) {
  json out{{"v", protocol_version},
           {"cmd", command_name(command.body)},
           {"id", command.id.str()},
           {"ts", format_timestamp(command.ts)}};
  std::visit(CommandFields{out}, command.body);
  return out.dump();
}

boost::system::result<Command, DecodeError> decode_command(std::string_view payload) {
  if (payload.size() > max_payload_bytes) {
    return DecodeError{Reason::payload_too_large, {}, "command larger than " + std::to_string(max_payload_bytes)};
  }
  DecodeError parse_error;
  const auto root = detail::parse_checked(payload, max_json_depth, parse_error);
  if (!root) return parse_error;
  if (!root->is_object()) return DecodeError{Reason::not_an_object, {}, "the payload must be a JSON object"};
  detail::ErrorSink sink;
  const detail::JsonFieldReader in(detail::NlohmannValue(*root), "", sink);
  in.version("v", protocol_version);
  if (!sink.ok()) return sink.take();
  Command command;
  const auto name = in.choice("cmd", {"lock", "unlock", "replay", "rebirth"});
  command.id = detail::read_id<CommandId>(in, "id");
  command.ts = in.timestamp("ts").value_or(Timestamp{});
  if (sink.ok()) command.body = read_command_body(name, in);
  if (!sink.ok()) return sink.take();
  return command;
}

}  // namespace sterifleet::protocol
