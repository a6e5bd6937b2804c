// The fleet simulator's core: C clinics x (P pens + S sterilizers) living through working days in
// simulated time. Pure and deterministic (no I/O, no clock, seeded RNG): the same config gives the same
// action stream, until commands fed back through handle_command() change what the devices do.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "sterifleet/protocol/command.hpp"
#include "sterifleet/protocol/ids.hpp"
#include "sterifleet/sim/action.hpp"
#include "sterifleet/sim/config.hpp"
#include "sterifleet/sim/rules.hpp"

namespace sterifleet::sim {

struct World;

struct DeviceInfo {
  protocol::ClinicId clinic;
  protocol::DeviceId device;
  std::string_view role;  ///< "pen", "sterilizer" or "spare" (the device.unknown candidate)
};

/// Not thread-safe: one thread drives it.
class Scenario {
 public:
  /// Throws std::invalid_argument when validate(config) fails.
  explicit Scenario(ScenarioConfig config);
  ~Scenario();
  Scenario(Scenario&&) noexcept;
  Scenario& operator=(Scenario&&) noexcept;

  /// Simulated time of the next action; empty once every device has shut down at the end.
  std::optional<protocol::Timestamp> next_time();
  /// The next action, in time order.
  std::optional<Action> next();

  /// A command received on `device`'s cmd topic at simulated time `now` (clamped into
  /// [time of the last action, time of the next one]). Responses come out of next().
  void handle_command(const protocol::DeviceId& device, const protocol::Command& command, protocol::Timestamp now);
  /// A payload on the cmd topic that decode_command() rejected: the device reports a cmd.rejected fault.
  void handle_malformed_command(const protocol::DeviceId& device, std::string_view reason, protocol::Timestamp now);
  /// End the run at `now`: sessions end, every device shuts down properly.
  void stop(protocol::Timestamp now);

  /// Violations injected so far (a violation is recorded when its offending message is emitted).
  const std::vector<InjectedViolation>& injected() const;
  std::vector<DeviceInfo> devices() const;
  const ScenarioConfig& config() const;

 private:
  std::unique_ptr<World> world_;
};

}  // namespace sterifleet::sim
