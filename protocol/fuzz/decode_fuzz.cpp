// libFuzzer target for the decoder of untrusted device payloads (protocol/README.md is the contract).
//
// Input layout: the first byte picks a topic from kTopics (modulo its size); the rest is the payload.
// The last slots read the topic itself from the input, up to the first newline, so parse_topic is
// fuzzed too. Besides "no crash, no sanitizer report", every input must satisfy:
//   - a rejection has a named reason, a non-empty detail and an empty or JSON Pointer path;
//   - an accepted message re-encodes to a payload that decodes to an equal value, on its own topic
//     (drift aside: unknown fields are not re-encoded and numbers may be written differently, so the
//     re-decoded drift names a subset of the original's fields);
//   - nothing is accepted on a cmd topic by decode(); there decode_command() must round-trip instead;
//   - the fast path (simdjson) accepts nothing the explaining path (nlohmann) refuses, and reads what it
//     accepts to the same message;
//   - a payload's "body" read on its own as a person's cycle entry (decode_cycle_body) is refused with
//     a path into it, or read to the same cycle as an accepted cycle.complete carries.
// make_corpus.py writes the seed corpus with the same selector bytes; keep the two tables in step.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "checked_json.hpp"
#include "decode_paths.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/command.hpp"
#include "sterifleet/protocol/topic.hpp"

namespace {

using namespace sterifleet::protocol;

// The devices of the spec's examples, so the seeds pass the identity check, and one id of the maximum length.
constexpr std::array<std::string_view, 6> kDevices{
    "PEN-0001", "PEN-0002", "STER-01",
    "STER-02",  "WD-01",    "D123456789012345678901234567890123456789012345678901234567890123"};
constexpr std::array<Channel, 5> kChannels{Channel::birth, Channel::event, Channel::telemetry, Channel::status,
                                           Channel::cmd};
constexpr std::size_t kFixedTopics = kDevices.size() * kChannels.size();  // 30
constexpr std::size_t kSlots = 32;                                        // 30 and 31: the topic is in the input

[[noreturn]] void fail() { __builtin_trap(); }

void check(bool condition) {
  if (!condition) fail();
}

void check_rejection(const DecodeError& error) {
  check(to_string(error.reason) != "?");
  check(!error.detail.empty());
  check(error.path.empty() || error.path.front() == '/');
}

const DecodeContext& context() {
  static const DecodeContext fixed{*parse_timestamp("2026-12-01T00:00:00Z")};
  return fixed;
}

// Re-encoding may lengthen a payload (110 becomes 110.0, a timestamp gains its milliseconds), so a message
// decoded from nearly 16384 bytes may re-encode past the limit; then the decoder must say exactly that.
template <class Message>
void check_round_trip(const Message& message, std::string_view topic) {
  check(topic_of(message) == topic);
  const std::string payload = encode(message);
  const auto again = decode(topic, payload, context());
  if (payload.size() > max_payload_bytes) {
    check(!again && again.error().reason == Reason::payload_too_large);
    return;
  }
  check(again && std::holds_alternative<Message>(*again));
  Message decoded = std::get<Message>(*again);
  for (const auto& drift : decoded.drift) {
    check(std::any_of(message.drift.begin(), message.drift.end(),
                      [&](const Drift& original) { return original.path == drift.path; }));
  }
  decoded.drift = message.drift;
  check(decoded == message);
}

void fuzz_command(std::string_view payload) {
  const auto command = decode_command(payload);
  if (!command) {
    check_rejection(command.error());
    return;
  }
  const auto again = decode_command(encode_command(*command));
  check(again && *again == *command);
}

void check_paths_agree(std::string_view topic, std::string_view payload) {
  const auto parsed = parse_topic(topic);
  if (!parsed || parsed->channel == Channel::cmd || payload.size() > max_payload_bytes) return;
  const auto fast = detail::decode_fast(*parsed, payload, context());
  if (!fast) return;
  const auto explained = detail::decode_explained(*parsed, payload, context());
  check(explained && *explained == *fast);
}

void check_cycle_body(std::string_view payload, const boost::system::result<Inbound, DecodeError>& decoded) {
  DecodeError unused;
  const auto root = detail::parse_checked(payload, max_json_depth, unused);
  if (!root || !root->is_object() || !root->contains("body")) return;
  std::vector<Drift> drift;
  const auto cycle = decode_cycle_body((*root)["body"], "/body", drift);
  if (!cycle) {
    check_rejection(cycle.error());
    check(cycle.error().path.rfind("/body", 0) == 0);
    return;
  }
  if (!decoded) return;
  const auto* message = std::get_if<DeviceMessage>(&*decoded);
  const auto* carried = message ? std::get_if<CycleComplete>(&message->body) : nullptr;
  if (carried) check(*carried == *cycle);
}

void fuzz_decode(std::string_view topic, std::string_view payload) {
  check_paths_agree(topic, payload);
  const auto decoded = decode(topic, payload, context());
  if (!decoded) {
    check_rejection(decoded.error());
  } else if (const auto* message = std::get_if<DeviceMessage>(&*decoded)) {
    check_round_trip(*message, topic);
  } else {
    check_round_trip(std::get<StatusMessage>(*decoded), topic);
  }
  check_cycle_body(payload, decoded);
  const auto parsed = parse_topic(topic);
  if (parsed && parsed->channel == Channel::cmd) {
    check(!decoded);  // devices never publish on cmd
    fuzz_command(payload);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t slot = static_cast<unsigned char>(input.front()) % kSlots;
  std::string_view payload = input.substr(1);
  std::string topic;
  if (slot < kFixedTopics) {
    topic = format_topic(Topic{ClinicId{"north"}, DeviceId{std::string(kDevices[slot / kChannels.size()])},
                               kChannels[slot % kChannels.size()]});
  } else {
    const auto newline = payload.find('\n');
    if (newline == std::string_view::npos) return 0;
    topic = payload.substr(0, newline);
    payload.remove_prefix(newline + 1);
  }
  fuzz_decode(topic, payload);
  return 0;
}
