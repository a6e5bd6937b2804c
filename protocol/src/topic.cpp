#include "sterifleet/protocol/topic.hpp"

#include <array>

#include "enum_names.hpp"

namespace sterifleet::protocol {

namespace {

constexpr detail::NameTable<Channel, 5> channels{{
    {Channel::birth, "birth"},
    {Channel::event, "event"},
    {Channel::telemetry, "telemetry"},
    {Channel::status, "status"},
    {Channel::cmd, "cmd"},
}};

std::optional<Topic> fail(TopicError* error, std::string reason) {
  if (error) error->reason = std::move(reason);
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Channel channel) noexcept { return detail::name_of(channels, channel); }

std::optional<Topic> parse_topic(std::string_view text, TopicError* error) {
  if (!text.starts_with(topic_prefix)) return fail(error, "topic does not start with \"sterifleet/v1/\"");
  std::array<std::string_view, 3> levels;
  std::string_view rest = text.substr(topic_prefix.size());
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const auto slash = rest.find('/');
    if ((slash == std::string_view::npos) != (i == levels.size() - 1)) {
      return fail(error, "topic must have exactly 5 levels: sterifleet/v1/<clinic>/<device>/<channel>");
    }
    levels[i] = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  }
  if (!is_valid_id(levels[0])) return fail(error, "clinic level is not an id ([A-Za-z0-9_.-]{1,64})");
  if (!is_valid_id(levels[1])) return fail(error, "device level is not an id ([A-Za-z0-9_.-]{1,64})");
  const auto channel = detail::value_of(channels, levels[2]);
  if (!channel) return fail(error, "unknown channel (birth, event, telemetry, status, cmd)");
  return Topic{ClinicId{std::string(levels[0])}, DeviceId{std::string(levels[1])}, *channel};
}

std::string format_topic(const Topic& topic) {
  std::string out{topic_prefix};
  out.append(topic.clinic.str()).append("/").append(topic.device.str()).append("/").append(to_string(topic.channel));
  return out;
}

std::string channel_filter(Channel channel) {
  return std::string{topic_prefix} + "+/+/" + std::string{to_string(channel)};
}

std::string channel_filter(Channel channel, const ClinicId& clinic) {
  return std::string{topic_prefix} + clinic.str() + "/+/" + std::string{to_string(channel)};
}

}  // namespace sterifleet::protocol
