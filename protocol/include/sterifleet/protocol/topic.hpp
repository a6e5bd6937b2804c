// The topic scheme: sterifleet/v1/<clinic>/<device>/<channel>.
// Parsing is strict (exact level count, id charset) because ACLs and identity checks rely on it.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "sterifleet/protocol/ids.hpp"

namespace sterifleet::protocol {

enum class Channel { birth, event, telemetry, status, cmd };

/// The channels devices publish on, which the daemon subscribes to (cmd is the daemon's own).
inline constexpr std::array<Channel, 4> device_channels{Channel::birth, Channel::event, Channel::telemetry,
                                                        Channel::status};

std::string_view to_string(Channel channel) noexcept;

struct Topic {
  ClinicId clinic;
  DeviceId device;
  Channel channel = Channel::event;
  friend bool operator==(const Topic&, const Topic&) = default;
};

inline constexpr std::string_view topic_prefix = "sterifleet/v1/";

/// Parses a topic; the reason is a human sentence naming the offending level.
struct TopicError {
  std::string reason;
};
std::optional<Topic> parse_topic(std::string_view text, TopicError* error = nullptr);
std::string format_topic(const Topic& topic);

/// Subscription filter for one channel of every device, or of one clinic's devices.
std::string channel_filter(Channel channel);
std::string channel_filter(Channel channel, const ClinicId& clinic);

}  // namespace sterifleet::protocol
