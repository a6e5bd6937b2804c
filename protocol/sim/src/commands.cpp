#include "commands.hpp"

#include <algorithm>
#include <string>

#include "device.hpp"

namespace sterifleet::sim {

namespace {

std::string printable(std::string_view text, std::size_t limit) {
  std::string out;
  for (const char c : text) {
    if (out.size() >= limit) break;
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) out += c;  // ASCII only: no control characters, no split UTF-8
  }
  return out;
}

void replay(World& world, Device& device, const protocol::Replay& request) {
  const std::uint64_t last = request.to_seq.value_or(UINT64_MAX);
  std::uint64_t newest = 0;  // newest seq known of that boot
  std::uint64_t resent = 0;
  for (auto& entry : device.history) {
    if (entry.boot != request.boot) continue;
    newest = std::max(newest, entry.seq);
    if (entry.seq < request.from_seq || entry.seq > last) continue;
    if (entry.state == HistoryEntry::State::pending) {
      ++resent;  // still waiting in the backlog: it goes out with it
      continue;
    }
    Publish message = make_publish(device, entry.topic, entry.payload);
    message.key = MessageKey{entry.boot, entry.seq, entry.type};
    message.first_send = entry.state == HistoryEntry::State::withheld;
    entry.state = HistoryEntry::State::sent;
    publish(world, device, std::move(message));
    ++resent;
  }
  if (request.boot == device.boot) newest = device.seq;
  const std::uint64_t upper = std::min(last, newest);
  const std::uint64_t wanted = upper >= request.from_seq ? upper - request.from_seq + 1 : 0;
  if (resent < wanted || (newest == 0 && request.boot != device.boot)) {
    const auto missing = wanted > resent ? wanted - resent : 0;
    send_fault(world, device, "replay.incomplete",
               std::to_string(missing) + " message(s) of boot " + std::to_string(request.boot) + " no longer kept");
  }
}

}  // namespace

void obey(World& world, Device& device, const protocol::Command& command) {
  if (!device.seen_commands.insert(command.id.str()).second) return;  // acted on already
  if (const auto* lock = std::get_if<protocol::Lock>(&command.body)) {
    static_cast<void>(lock);
    device.locked = true;  // a running session finishes; no new one starts
  } else if (std::holds_alternative<protocol::Unlock>(command.body)) {
    device.locked = false;
  } else if (const auto* request = std::get_if<protocol::Replay>(&command.body)) {
    replay(world, device, *request);
  } else {
    send_birth(world, device);
    world.clinics[device.clinic_index].spare_known =
        world.clinics[device.clinic_index].spare_known || device.role == Role::spare;
  }
}

void reject_command(World& world, Device& device, std::string_view reason) {
  send_fault(world, device, "cmd.rejected", printable(reason, 256));
}

}  // namespace sterifleet::sim
