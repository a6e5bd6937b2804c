// The flood benchmark's traffic: many devices' valid, sequenced telemetry and cartridge events, round
// robin, as sterifleet-sim --flood publishes it. Pure, so a benchmark without a broker (bench/) can run
// the very same messages through the daemon's stages.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sterifleet/protocol/message.hpp"

namespace sterifleet::sim {

class FloodTraffic {
 public:
  /// `devices` pens named FLD-000001..., a hundred a clinic; each starts the boot after the one in
  /// `previous_boots` (the simulator persists them so a second flood is not a sequence regression).
  FloodTraffic(int devices, const std::map<std::string, std::uint32_t>& previous_boots);

  /// The boot each device uses, to persist before the first message goes out.
  std::map<std::string, std::uint32_t> boots() const;

  std::size_t device_count() const { return devices_.size(); }
  /// Which device sends the n-th message.
  std::size_t device_of(std::uint64_t n) const { return static_cast<std::size_t>(n % devices_.size()); }

  /// The n-th message (n counts from 0, one more each call), stamped `now`: a birth first, then
  /// telemetry with a cartridge inserted and removed every 20 messages and a fault every 50.
  protocol::DeviceMessage next(std::uint64_t n, protocol::Timestamp now);

 private:
  struct Device {
    protocol::ClinicId clinic;
    protocol::DeviceId id;
    std::uint32_t boot = 0;
    std::uint64_t seq = 0;
  };

  std::vector<Device> devices_;
};

}  // namespace sterifleet::sim
