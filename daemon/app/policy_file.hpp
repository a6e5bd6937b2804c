// Reading a policy file, for the CLI (`policy check`, `replay --policy`) and the daemon (start, SIGHUP).
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "sterifleet/engine/policy.hpp"

namespace sterifleet::app {

/// The whole file; throws std::runtime_error naming it when it cannot be read.
std::string read_text_file(const std::string& path);

/// The policy, or every error in it (each with its line). Throws as read_text_file().
std::variant<engine::Policy, std::vector<engine::PolicyError>> parse_policy_file(const std::string& path);

}  // namespace sterifleet::app
