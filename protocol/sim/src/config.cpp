#include "sterifleet/sim/config.hpp"

#include <algorithm>
#include <cmath>

namespace sterifleet::sim {

std::chrono::seconds default_heartbeat(double speed) {
  if (speed <= 0.0) return std::chrono::seconds{10};
  // 240 s of wall time per 60 s of simulated telemetry period at speed 1: telemetry every heartbeat/4.
  const double wall = std::ceil(4.0 * static_cast<double>(telemetry_period.count()) / speed);
  return std::chrono::seconds{static_cast<std::int64_t>(std::clamp(wall, 10.0, 86400.0))};
}

std::string validate(const ScenarioConfig& config) {
  if (config.clinics < 1 || config.clinics > 999) return "clinics must be 1..999";
  if (config.pens < 1 || config.pens > 99) return "pens must be 1..99 per clinic";
  if (config.sterilizers < 1 || config.sterilizers > 20) return "sterilizers must be 1..20 per clinic";
  if (config.end < config.start) return "the end is before the start";
  if (config.speed < 0.0) return "speed must not be negative";
  for (const auto hb : {config.heartbeat, config.follow_heartbeat}) {
    if (hb.count() < 10 || hb.count() > 86400) return "heartbeat must be 10..86400 s";
  }
  // Telemetry every 60 s simulated must reach the daemon at least every heartbeat/3 wall seconds.
  const auto period = static_cast<double>(telemetry_period.count());
  if (config.speed > 0.0 && static_cast<double>(config.heartbeat.count()) * config.speed < 3.0 * period) {
    return "heartbeat too short for the speed: pens publish every 60 s simulated; need heartbeat >= 180/speed";
  }
  if (config.follow_heartbeat.count() < 3 * telemetry_period.count()) return "follow heartbeat must be >= 180 s";
  if (config.violations.rate < 0.0 || config.violations.rate > 1.0) return "violation rate must be 0..1";
  if (config.shelf_life.count() != 0 && config.shelf_life.count() < 20) {
    return "shelf life must be 0 (off) or at least 20 h: a clinic closed overnight cannot meet a shorter one";
  }
  return {};
}

}  // namespace sterifleet::sim
