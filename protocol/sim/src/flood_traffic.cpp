#include "sterifleet/sim/flood_traffic.hpp"

#include <fmt/format.h>

namespace sterifleet::sim {

namespace {

protocol::Body next_body(const protocol::DeviceId& device, std::uint32_t boot, std::uint64_t seq, std::uint64_t n) {
  if (seq == 1) return protocol::Birth{protocol::DeviceKind::pen, "Flood Pen", "1.0", std::nullopt};
  const auto cartridge =
      protocol::CartridgeId{"CRT-" + device.str() + "-" + std::to_string(boot) + "-" + std::to_string(seq / 20)};
  if (seq % 20 == 7) {
    return protocol::CartridgeInsert{protocol::Cartridge{cartridge, protocol::LotId{"LFLOOD"},
                                                         protocol::Date{std::chrono::year{2099} / 12 / 31}, 12, 300'000,
                                                         std::nullopt}};
  }
  if (seq % 20 == 8) return protocol::CartridgeRemove{cartridge};
  if (seq % 50 == 13) return protocol::Fault{protocol::FaultCode{"W02"}, "battery temperature high"};
  protocol::Telemetry telemetry;
  telemetry.battery = protocol::Percent{80.0 + static_cast<double>(n % 200) / 10.0};
  telemetry.motor_runtime = std::chrono::seconds{360'000 + static_cast<std::int64_t>(seq)};
  telemetry.motor_strokes = 30'000'000 + static_cast<std::int64_t>(seq) * 100;
  telemetry.depth = protocol::Millimetres{0.5};
  telemetry.speed = protocol::Hertz{100.0};
  return telemetry;
}

}  // namespace

FloodTraffic::FloodTraffic(int devices, const std::map<std::string, std::uint32_t>& previous_boots) {
  for (int i = 0; i < devices; ++i) {
    const auto clinic = fmt::format("FLOOD-{:03}", i / 100 + 1);
    const auto id = fmt::format("FLD-{:06}", i + 1);
    const auto previous = previous_boots.find(id);
    devices_.push_back({protocol::ClinicId{clinic}, protocol::DeviceId{id},
                        (previous == previous_boots.end() ? 0 : previous->second) + 1, 0});
  }
}

std::map<std::string, std::uint32_t> FloodTraffic::boots() const {
  std::map<std::string, std::uint32_t> boots;
  for (const auto& device : devices_) boots[device.id.str()] = device.boot;
  return boots;
}

protocol::DeviceMessage FloodTraffic::next(std::uint64_t n, protocol::Timestamp now) {
  auto& device = devices_[device_of(n)];
  ++device.seq;
  return {device.clinic, {device.id, device.boot, device.seq, now}, next_body(device.id, device.boot, device.seq, n)};
}

}  // namespace sterifleet::sim
