#include "fleet_deliveries.hpp"

#include <spdlog/spdlog.h>

namespace sterifleet::app {

void FleetDeliveries::failed(const notify::DeadNotification& dead) {
  const auto outcome = fleet_.delivery_failed(
      {dead.receiver, protocol::ClinicId{dead.clinic}, dead.alert_id, dead.rule, dead.answer, dead.at});
  if (!outcome.ok()) {
    spdlog::critical("notify: the dead notification {} to {} (alert {}) raised no alert: {}", dead.id, dead.receiver,
                     dead.alert_id, outcome.refusal->message);
  }
}

void FleetDeliveries::recovered(const std::string& receiver, const std::string& clinic) {
  const auto outcome = fleet_.delivery_recovered(receiver, clinic);
  if (!outcome.ok()) spdlog::error("notify: {} delivers again, not recorded: {}", receiver, outcome.refusal->message);
}

}  // namespace sterifleet::app
