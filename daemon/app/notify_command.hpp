// `sterifleet notify test` and `sterifleet notify list`: an operator checks, from the daemon's own
// configuration file, that a receiver is reachable and takes a notification, without the daemon running.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace sterifleet::app {

/// Sends a test notification to `receiver` as the daemon would and prints its answer. Returns the exit
/// code: 0 delivered, 1 not delivered, 2 a configuration error (an unknown receiver: the configured
/// ones are named on `err`).
int notify_test(const std::string& config_path, const std::string& receiver, const std::string& requested_by,
                std::ostream& out, std::ostream& err);

/// Prints the receivers (name, type, target without secrets) and the routes. 0, or 2 for a bad file.
int notify_list(const std::string& config_path, std::ostream& out, std::ostream& err);

/// `url` without what may be a secret: user information, query and fragment.
std::string url_without_secrets(std::string_view url);

}  // namespace sterifleet::app
