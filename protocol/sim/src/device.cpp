#include "device.hpp"

#include <utility>

#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::sim {

namespace {

protocol::StatusMessage status_of(const Device& device, bool online, bool shutdown) {
  return protocol::StatusMessage{device.clinic, device.id, device.boot, online, shutdown};
}

void publish_status(World& world, Device& device, bool online, bool shutdown) {
  const auto status = status_of(device, online, shutdown);
  Publish message = make_publish(device, protocol::topic_of(status), protocol::encode(status));
  message.retained = true;
  world.emit(Action{world.now, std::move(message)});
}

void remember(Device& device, const Publish& message, HistoryEntry::State state) {
  device.history.push_back(
      HistoryEntry{message.key->boot, message.key->seq, message.key->type, message.topic, message.payload, state});
  // Keep the current and previous boot only, and at most history_limit messages.
  while (!device.history.empty() &&
         (device.history.size() > history_limit || device.history.front().boot + 1 < device.boot)) {
    device.history.pop_front();
  }
}

/// Sterility-expiry injections are recorded when clinic time (the largest device ts) passes the deadline.
void advance_clinic_time(World& world, Clinic& clinic) {
  auto& pending = clinic.pending_expiry;
  for (auto it = pending.begin(); it != pending.end();) {
    if (world.now <= it->deadline) {
      ++it;
      continue;
    }
    const Device& pen = world.devices[it->pen];
    const auto& state = *pen.pen;
    const bool unchanged = state.last_valid && state.last_valid->ts == it->reprocessed &&
                           !(state.last_session_start && *state.last_session_start > it->reprocessed);
    if (unchanged) {
      world.violations.record(Rule::sterility_expired, clinic.id.str(), pen.id.str(), pen.id.str(), it->deadline);
    }
    it = pending.erase(it);
  }
}

}  // namespace

Publish make_publish(const Device& device, std::string topic, std::string payload) {
  Publish out;
  out.clinic = device.clinic;
  out.device = device.id;
  out.topic = std::move(topic);
  out.payload = std::move(payload);
  return out;
}

std::string status_payload(const Device& device, bool online, bool shutdown) {
  return protocol::encode(status_of(device, online, shutdown));
}

void publish(World& world, Device& device, Publish message) {
  if (device.dropped) {
    message.late = true;
    device.backlog.push_back(std::move(message));
    return;
  }
  world.emit(Action{world.now, std::move(message)});
}

namespace {

void send_encoded(World& world, Device& device, const protocol::DeviceMessage& message, std::string payload,
                  bool withhold) {
  Publish out = make_publish(device, protocol::topic_of(message), std::move(payload));
  out.key = MessageKey{device.boot, device.seq, std::string(protocol::type_name(message.body))};
  using State = HistoryEntry::State;
  remember(device, out, withhold ? State::withheld : (device.dropped ? State::pending : State::sent));
  advance_clinic_time(world, world.clinics[device.clinic_index]);
  if (!withhold) publish(world, device, std::move(out));
}

}  // namespace

void send(World& world, Device& device, protocol::Body body, bool withhold) {
  const protocol::DeviceMessage message{
      device.clinic, {device.id, device.boot, ++device.seq, world.now}, std::move(body)};
  send_encoded(world, device, message, protocol::encode(message), withhold);
}

void send_rewritten(World& world, Device& device, protocol::Body body, const std::string& from, const std::string& to) {
  const protocol::DeviceMessage message{
      device.clinic, {device.id, device.boot, ++device.seq, world.now}, std::move(body)};
  std::string payload = protocol::encode(message);
  if (const auto at = payload.find(from); at != std::string::npos) payload.replace(at, from.size(), to);
  send_encoded(world, device, message, std::move(payload), false);
}

void send_misattributed(World& world, Device& device, const Device& other, protocol::Body body) {
  const bool telemetry = std::holds_alternative<protocol::Telemetry>(body);
  const protocol::DeviceMessage message{
      device.clinic, {other.id, device.boot, device.seq + 1, world.now}, std::move(body)};
  const auto channel = telemetry ? protocol::Channel::telemetry : protocol::Channel::event;
  publish(world, device,
          make_publish(device, protocol::format_topic({device.clinic, device.id, channel}), protocol::encode(message)));
}

void send_birth(World& world, Device& device) {
  protocol::Birth birth;
  birth.kind = device.role == Role::sterilizer ? protocol::DeviceKind::sterilizer : protocol::DeviceKind::pen;
  birth.model = device.model;
  birth.firmware = device.firmware;
  if (device.role != Role::sterilizer) birth.heartbeat = world.heartbeat_at(world.now);
  device.declared_heartbeat = birth.heartbeat;
  device.birth_sent = true;
  send(world, device, std::move(birth));
}

void send_fault(World& world, Device& device, std::string code, std::string detail) {
  send(world, device, protocol::Fault{protocol::FaultCode{std::move(code)}, std::move(detail)});
}

void power_up(World& world, Device& device) {
  ++device.boot;
  device.seq = 0;
  device.powered = true;
  device.shutdown_pending = false;
  device.birth_sent = false;
  device.declared_heartbeat.reset();
  const auto offline = status_of(device, false, false);
  world.emit(Action{world.now, Connect{device.clinic, device.id, device.boot, true, protocol::topic_of(offline),
                                       protocol::encode(offline)}});
  publish_status(world, device, true, false);
}

void shut_down(World& world, Device& device) {
  publish_status(world, device, false, true);
  world.emit(Action{world.now, Disconnect{device.clinic, device.id, false, Ms{0}, world.now}});
  device.powered = false;
  device.shutdown_pending = false;
}

void drop(World& world, Device& device, Timestamp until, Ms min_wall) {
  publish_status(world, device, false, false);
  world.emit(Action{world.now, Disconnect{device.clinic, device.id, true, min_wall, until}});
  device.dropped = true;
  device.drop_until = until;
}

void reconnect(World& world, Device& device) {
  const auto offline = status_of(device, false, false);
  world.emit(Action{world.now, Connect{device.clinic, device.id, device.boot, false, protocol::topic_of(offline),
                                       protocol::encode(offline)}});
  device.dropped = false;
  publish_status(world, device, true, false);
  auto backlog = std::move(device.backlog);
  device.backlog.clear();
  for (auto& entry : device.history) {
    if (entry.state == HistoryEntry::State::pending) entry.state = HistoryEntry::State::sent;
  }
  for (auto& message : backlog) world.emit(Action{world.now, std::move(message)});
}

}  // namespace sterifleet::sim
