// A persistent MQTT session made on a real broker before anything is published for it, as a daemon that
// has run leaves its sessions behind: the broker keeps what comes for the session while nobody holds it.
#pragma once

#include <string>
#include <vector>

#include "sterifleet/testing/mosquitto.hpp"

namespace sterifleet::testing {

/// Subscribes `client_id` (clean session off, QoS 1) to `filters` and disconnects, with mosquitto_sub;
/// throws std::runtime_error with its output when that fails.
void make_persistent_session(const Mosquitto& broker, const std::string& client_id,
                             const std::vector<std::string>& filters);

}  // namespace sterifleet::testing
