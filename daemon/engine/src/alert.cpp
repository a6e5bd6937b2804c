#include "sterifleet/engine/alert.hpp"

#include <fmt/format.h>

#include <array>

#include "sterifleet/engine/effects.hpp"

namespace sterifleet::engine {

namespace {
constexpr std::array<std::string_view, 4> state_names{"open", "acknowledged", "resolved", "withdrawn"};
constexpr std::array<std::string_view, 7> transition_names{"opened",   "occurred",  "acknowledged", "resolved",
                                                           "reopened", "withdrawn", "silenced"};

}  // namespace

std::string_view to_string(AlertState state) noexcept { return state_names[static_cast<std::size_t>(state)]; }

std::optional<AlertState> parse_alert_state(std::string_view text) noexcept {
  for (std::size_t i = 0; i < state_names.size(); ++i) {
    if (state_names[i] == text) return static_cast<AlertState>(i);
  }
  return std::nullopt;
}

std::string_view to_string(Transition transition) noexcept {
  return transition_names[static_cast<std::size_t>(transition)];
}

AlertState Alert::state() const noexcept {
  if (withdrawn) return AlertState::withdrawn;
  if (episode.cleared_at || manual) return AlertState::resolved;
  if (ack) return AlertState::acknowledged;
  return AlertState::open;
}

// FNV-1a, 64 bit: stable across platforms and releases, which std::hash is not.
std::string alert_id(const ClinicId& clinic, RuleId rule, std::string_view subject, std::string_view trigger) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const std::string_view part : {std::string_view(clinic.str()), to_string(rule), subject, trigger}) {
    for (const char c : part) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 0x100000001b3ULL;
    }
    hash ^= 0x1f;  // unit separator, so ("ab","c") and ("a","bc") differ
    hash *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", hash);
}

void Effects::append(Effects&& other) {
  if (other.refusal && !refusal) refusal = std::move(other.refusal);
  auto move_all = [](auto& into, auto& from) {
    into.insert(into.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  };
  move_all(alerts, other.alerts);
  move_all(sessions, other.sessions);
  move_all(cycles, other.cycles);
  move_all(commands, other.commands);
  move_all(audit, other.audit);
}

}  // namespace sterifleet::engine
