// Commands from the daemon to a device, published on sterifleet/v1/<clinic>/<device>/cmd at QoS 1.
// Devices obey them; the simulator decodes them with the same codec.
#pragma once

#include <boost/system/result.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "sterifleet/protocol/decode_error.hpp"
#include "sterifleet/protocol/ids.hpp"
#include "sterifleet/protocol/time.hpp"

namespace sterifleet::protocol {

/// Refuse to start sessions until unlocked; `reason` names the rule (e.g. "cartridge.reused").
struct Lock {
  std::string reason;
  friend bool operator==(const Lock&, const Lock&) = default;
};
struct Unlock {
  std::string reason;
  friend bool operator==(const Unlock&, const Unlock&) = default;
};
/// Resend messages [from_seq, to_seq] of `boot` (to the newest if to_seq is absent), unchanged.
struct Replay {
  std::uint32_t boot = 0;
  std::uint64_t from_seq = 0;
  std::optional<std::uint64_t> to_seq;
  friend bool operator==(const Replay&, const Replay&) = default;
};
/// Publish a fresh birth message (the daemon lost or never saw the device's identity).
struct Rebirth {
  friend bool operator==(const Rebirth&, const Rebirth&) = default;
};

using CommandBody = std::variant<Lock, Unlock, Replay, Rebirth>;

struct Command {
  CommandId id;
  Timestamp ts;
  CommandBody body;
  friend bool operator==(const Command&, const Command&) = default;
};

std::string_view command_name(const CommandBody& body) noexcept;
std::string encode_command(const Command& command);
boost::system::result<Command, DecodeError> decode_command(std::string_view payload);

}  // namespace sterifleet::protocol
