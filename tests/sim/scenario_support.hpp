// Helpers for the pure scenario tests: a standard configuration and draining a scenario.
#pragma once

#include <vector>

#include "sterifleet/protocol/time.hpp"
#include "sterifleet/sim/scenario.hpp"

namespace sterifleet::sim::testing {

inline ScenarioConfig standard_config(int days = 7) {
  ScenarioConfig config;
  config.clinics = 2;
  config.pens = 4;
  config.sterilizers = 3;
  config.seed = 42;
  config.start = *protocol::parse_timestamp("2026-03-02T00:00:00Z");
  config.end = config.start + std::chrono::hours{24 * days};
  config.speed = 60.0;
  config.heartbeat = default_heartbeat(config.speed);
  return config;
}

inline std::vector<Action> drain(Scenario& scenario) {
  std::vector<Action> out;
  while (auto action = scenario.next()) out.push_back(std::move(*action));
  return out;
}

inline std::vector<Action> run(const ScenarioConfig& config) {
  Scenario scenario(config);
  return drain(scenario);
}

}  // namespace sterifleet::sim::testing
