// What every device does on the wire: power up and down, drop and regain its connection, and
// publish sequenced messages (with a replay history and an offline backlog).
#pragma once

#include "world.hpp"

namespace sterifleet::sim {

/// Publishes `body` with the next seq at the current time. `withhold`: the seq is used but the message
/// is not published (a sequence gap) until a replay asks for it.
void send(World& world, Device& device, protocol::Body body, bool withhold = false);
/// As send(), with the first `from` of the encoded payload replaced by `to`: a message off the spec.
void send_rewritten(World& world, Device& device, protocol::Body body, const std::string& from, const std::string& to);
/// A payload that names another device, on this device's own telemetry topic; consumes no seq.
void send_misattributed(World& world, Device& device, const Device& other, protocol::Body body);
void send_birth(World& world, Device& device);
void send_fault(World& world, Device& device, std::string code, std::string detail);

/// Boot incremented, connect (last will = offline status), status online. The caller sends the birth.
void power_up(World& world, Device& device);
/// Status offline with reason shutdown, disconnect.
void shut_down(World& world, Device& device);
/// Unexpected connection loss: the will-like offline status, disconnect; messages wait in the backlog
/// until `until`, and the I/O layer keeps the device away for at least `min_wall` of real time.
void drop(World& world, Device& device, Timestamp until, Ms min_wall);
/// Reconnect, status online, then the backlog in order.
void reconnect(World& world, Device& device);
/// Publishes (or, while dropped, queues) an already encoded message.
void publish(World& world, Device& device, Publish message);

/// An unsequenced, not retained publish of `payload` on `topic` by `device`.
Publish make_publish(const Device& device, std::string topic, std::string payload);

std::string status_payload(const Device& device, bool online, bool shutdown);

}  // namespace sterifleet::sim
