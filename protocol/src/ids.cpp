#include "sterifleet/protocol/ids.hpp"

#include <algorithm>

namespace sterifleet::protocol {

namespace {
constexpr bool is_id_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}
}  // namespace

bool is_valid_id(std::string_view text) noexcept {
  return !text.empty() && text.size() <= max_id_length && std::all_of(text.begin(), text.end(), is_id_char);
}

}  // namespace sterifleet::protocol
