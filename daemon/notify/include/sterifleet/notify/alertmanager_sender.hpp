// The `alertmanager` receiver: notices pushed to Prometheus Alertmanager's API v2 (POST /api/v2/alerts)
// the way Prometheus itself pushes, so Alertmanager's routes, silences and inhibitions apply to our alerts.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>

#include "sterifleet/notify/notice.hpp"
#include "sterifleet/notify/receivers.hpp"
#include "sterifleet/notify/sender.hpp"

namespace sterifleet::notify {

/// How far ahead an active alert's endsAt lies. The outbox re-sends every open alert about once a minute;
/// Prometheus sends endsAt = now + 4 × its resend interval, and so do we: after four missed refreshes
/// (sterifleetd stopped, the network down) Alertmanager resolves the alert by itself rather than keep
/// paging for an alert nobody vouches for any more.
inline constexpr std::chrono::minutes alertmanager_active_horizon{5};

/// The alertname of a `sterifleet notify test` notice, which has no rule behind it.
inline constexpr const char* alertmanager_test_alertname = "sterifleet_test";

/// Alertmanager's postableAlerts (a JSON array), one alert per notice of the delivery, in their order.
/// Labels: alertname (the rule id), clinic, device, severity, alert_id — empty ones left out, as Prometheus
/// treats an empty label as absent. Annotations: summary, advice, subject, and withdrawn="true" for a
/// withdrawn alert. startsAt is when the alert opened; endsAt is now + alertmanager_active_horizon while
/// it is open or acknowledged, otherwise when it ended (never after `now`, never before startsAt).
/// Pure; throws std::logic_error for a notice with no alert behind it that is not a test.
nlohmann::json postable_alerts(const Delivery& delivery, Timestamp now);

/// Sends a delivery as one POST <url>/api/v2/alerts. 200 (any 2xx) → delivered; 429, 5xx, any other 4xx and a
/// failed transfer (status 0) → retry, with Alertmanager's error text as the answer.
/// Thread-safety: send() may be called from several threads at once (a libcurl handle per call), provided
/// the clock may be.
class AlertmanagerSender : public Sender {
 public:
  using Clock = std::function<Timestamp()>;
  /// The system clock, to the millisecond.
  static Timestamp system_now();

  explicit AlertmanagerSender(AlertmanagerReceiver receiver, Clock clock = &AlertmanagerSender::system_now);
  SendResult send(const Delivery& delivery) override;

  /// Where deliveries go: the receiver's url (trailing slashes dropped) + "/api/v2/alerts".
  const std::string& endpoint() const { return endpoint_; }

 private:
  AlertmanagerReceiver receiver_;
  Clock clock_;
  std::string endpoint_;
};

}  // namespace sterifleet::notify
