// How a violation was closed, from an alert's stored form: cleared by itself (the condition ended, and
// what ended it), resolved by a person (who, when, why), withdrawn (late data showed it never held),
// or still active (acknowledged by someone, or open).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace sterifleet::report {

struct Closure {
  std::string_view how;  ///< "auto_cleared", "resolved", "withdrawn", "acknowledged", "open"
  std::string at;        ///< when it was closed (or acknowledged); empty while open
  std::string by;        ///< "engine" for auto-clearing and withdrawal, else the person
  std::string detail;    ///< the clearance, the resolution's reason, or the acknowledgement's comment
  std::string ack_by;    ///< any acknowledgement, also of a later-closed alert
  std::string ack_at;
  std::string ack_comment;
};

inline constexpr std::string_view closure_kinds[] = {"auto_cleared", "resolved", "withdrawn", "acknowledged", "open"};

Closure closure_of(const nlohmann::json& alert);

}  // namespace sterifleet::report
