// Where commands to devices go out (the MQTT ingest publishes them; tests record them).
#pragma once

#include <string>

namespace sterifleet::fleet {

class CommandSink {
 public:
  virtual ~CommandSink() = default;
  /// Publishes at QoS 1 without blocking; called after the command is committed.
  virtual void publish(const std::string& topic, const std::string& payload) = 0;
};

}  // namespace sterifleet::fleet
