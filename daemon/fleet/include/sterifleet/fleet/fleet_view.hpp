// What the dashboard's fleet-wide reads show (the device list, the clinics' counts), published by the
// Fleet as an immutable value: a reader takes the current one and never waits for the engine, the
// store or a snapshot. Each device's summary is rendered to JSON once, when the device changes, and a
// new view shares every unchanged device with the one before.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

namespace sterifleet::fleet {

struct DeviceView {
  std::string clinic;
  std::string id;
  std::string kind;   ///< "pen", "roller", "sterilizer", or empty before its birth message
  std::string state;  ///< display_state()
  std::int64_t open_alerts = 0;
  std::int64_t critical_alerts = 0;
  std::string json;  ///< device_summary(), serialised
};

struct ClinicCounts {
  std::int64_t devices = 0;
  std::int64_t pens = 0;
  std::int64_t sterilizers = 0;
  std::int64_t open_alerts = 0;
  std::int64_t critical_alerts = 0;
};

struct FleetView {
  /// By (clinic, id): the order the API lists them in.
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const DeviceView>> devices;
  std::map<std::string, ClinicCounts> clinics;
};

}  // namespace sterifleet::fleet
