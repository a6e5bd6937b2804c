// What the scenario asks the I/O layer to do, in simulated-time order: connect a device, publish
// an encoded protocol message, disconnect. The payloads are already encoded with the protocol codec.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "sterifleet/protocol/ids.hpp"
#include "sterifleet/protocol/time.hpp"

namespace sterifleet::sim {

/// Connect the device's MQTT client (client id = device id, persistent session, last will = `will`).
/// `power_up`: a new boot, which the I/O layer persists before anything of that boot is published.
struct Connect {
  protocol::ClinicId clinic;
  protocol::DeviceId device;
  std::uint32_t boot = 0;
  bool power_up = true;
  std::string will_topic;
  std::string will_payload;  ///< the offline status of this boot, published retained at QoS 1
};

/// Identifies a sequenced message (birth, event, telemetry).
struct MessageKey {
  std::uint32_t boot = 0;
  std::uint64_t seq = 0;
  std::string type;
};

struct Publish {
  protocol::ClinicId clinic;
  protocol::DeviceId device;
  std::string topic;
  std::string payload;
  bool retained = false;          ///< status messages
  std::optional<MessageKey> key;  ///< sequenced messages; absent for status and the identity-mismatch payload
  bool first_send = true;         ///< false when resending what was published before (replay)
  bool late = false;              ///< published from the backlog after a reconnect
};

/// Disconnect after every publish of the device is acknowledged.
/// A `drop` is an unexpected connection loss (the scenario published the will-like offline status first):
/// the device reconnects at `until` (simulated), and not before `min_wall` of real time has passed.
struct Disconnect {
  protocol::ClinicId clinic;
  protocol::DeviceId device;
  bool drop = false;
  std::chrono::milliseconds min_wall{0};
  protocol::Timestamp until;
};

struct Action {
  protocol::Timestamp at;  ///< simulated time at which it happens
  std::variant<Connect, Publish, Disconnect> what;
};

}  // namespace sterifleet::sim
