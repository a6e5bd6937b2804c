// sterifleetd's command line: the configuration file, --set overrides and the shortcut flags, read into
// a Config; logging set up and the policy loaded, so that every configuration error shows before start.
#pragma once

#include <variant>

#include "config.hpp"
#include "sterifleet/engine/policy.hpp"

namespace sterifleet::app {

constexpr int exit_config = 2;    ///< a configuration error: restarting does not help
constexpr int exit_storage = 74;  ///< the store or receipt log failed: systemd restarts the daemon

struct DaemonSetup {
  Config config;
  engine::Policy policy;
};

/// The set-up, or the exit code when there is nothing to run: 0 after --help or
/// --print-default-config, exit_config after a wrong command line or configuration (said on stderr).
std::variant<DaemonSetup, int> read_command_line(int argc, char** argv);

/// The policy file's policy, or the built-in one for an empty path; logs each error of the file and
/// throws std::runtime_error if there is one.
engine::Policy load_policy(const std::string& path);

}  // namespace sterifleet::app
