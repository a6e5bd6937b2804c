#include "sterifleet/store/outbox.hpp"

#include <array>
#include <utility>

namespace sterifleet::store {

namespace {

constexpr std::array<std::pair<OutboxState, std::string_view>, 4> state_names{{
    {OutboxState::pending, "pending"},
    {OutboxState::delivered, "delivered"},
    {OutboxState::dead, "dead"},
    {OutboxState::cancelled, "cancelled"},
}};

}  // namespace

std::string_view to_string(OutboxState state) noexcept {
  for (const auto& [s, name] : state_names) {
    if (s == state) return name;
  }
  return "pending";
}

std::optional<OutboxState> parse_outbox_state(std::string_view text) noexcept {
  for (const auto& [s, name] : state_names) {
    if (name == text) return s;
  }
  return std::nullopt;
}

std::string_view to_string(DeliveryAttempt::Result result) noexcept {
  switch (result) {
    case DeliveryAttempt::Result::delivered:
      return "delivered";
    case DeliveryAttempt::Result::retry:
      return "retry";
    case DeliveryAttempt::Result::dead:
      return "dead";
  }
  return "retry";
}

}  // namespace sterifleet::store
