// Breaks the cycle between the Fleet, which needs a command sink at construction, and the MQTT ingest,
// which needs the Fleet: commands go nowhere until the ingest exists (none is issued before restore()).
#pragma once

#include <string>

#include "sterifleet/fleet/command_sink.hpp"

namespace sterifleet::app {

class CommandRelay : public fleet::CommandSink {
 public:
  fleet::CommandSink* target = nullptr;
  void publish(const std::string& topic, const std::string& payload) override {
    if (target) target->publish(topic, payload);
  }
};

}  // namespace sterifleet::app
