#include "time_option.hpp"

namespace sterifleet::app {

std::optional<protocol::Timestamp> parse_time_option(const std::string& text) {
  if (auto ts = protocol::parse_timestamp(text)) return ts;
  if (auto date = protocol::parse_date(text)) return protocol::Timestamp(std::chrono::sys_days(*date));
  return std::nullopt;
}

}  // namespace sterifleet::app
