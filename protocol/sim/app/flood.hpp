// Benchmark mode: many devices' valid, sequenced telemetry and events published as fast as asked,
// through several Paho clients (one client tops out near 25k msg/s at QoS 1), each with a bounded
// in-flight window; ends with throughput and publish-acknowledgement latency.
#pragma once

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "mqtt_device.hpp"
#include "state_store.hpp"

namespace sterifleet::sim {

struct FloodSettings {
  MqttSettings mqtt;
  double rate = 0.0;  ///< messages per second in total; 0 = as fast as possible
  std::uint64_t count = 100'000;
  int publishers = 4;
  int devices = 1000;
  int qos = 1;
  std::size_t window = 500;  ///< unacknowledged publishes per client
  std::string sent_log;
};

/// Publishes, waits for the acknowledgements, returns the summary:
/// {"messages","seconds","rate","ack_latency_ms":{"p50","p99","max"},"publishers","devices","qos"}.
nlohmann::ordered_json run_flood(const FloodSettings& settings, StateStore& state, const std::atomic<int>& signals);

}  // namespace sterifleet::sim
