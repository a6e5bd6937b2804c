#include "fleet_ticker.hpp"

namespace sterifleet::app {

FleetTicker::FleetTicker(boost::asio::any_io_executor executor, std::chrono::milliseconds period, fleet::Fleet& fleet,
                         std::function<bool()> hearing, std::function<void(std::exception_ptr)> failed)
    : period_(period),
      fleet_(fleet),
      hearing_(std::move(hearing)),
      failed_(std::move(failed)),
      timer_(std::move(executor)) {}

void FleetTicker::start() {
  timer_.expires_after(period_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    try {
      if (hearing_()) {
        fleet_.tick();
      } else {
        fleet_.anchor_audit_when_due();
      }
    } catch (const std::exception&) {
      failed_(std::current_exception());
      return;
    }
    start();
  });
}

}  // namespace sterifleet::app
