// Which receivers hear of which alerts, and when: ordered routes matched on clinic, severity and rule
// (the first match wins unless it says `continue`, as in Alertmanager), each with its repeat,
// escalation, resolved notices, quiet hours and group wait. Pure: the clock comes in with each call.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sterifleet/engine/alert.hpp"
#include "sterifleet/notify/receivers.hpp"

namespace date {
class time_zone;
}

namespace sterifleet::notify {

using engine::Timestamp;
using Seconds = std::chrono::seconds;

/// Warnings and info wait while it is quiet in the route's time zone; critical alerts never wait.
class QuietHours {
 public:
  /// `from`/`to`: minutes after local midnight; from > to spans midnight. Throws std::runtime_error for
  /// a time zone the system's database does not know.
  QuietHours(std::chrono::minutes from, std::chrono::minutes to, std::string time_zone);

  /// `at`, or when the quiet hours around it end.
  Timestamp release(Timestamp at) const;
  bool quiet_at(Timestamp at) const;
  const std::string& time_zone() const { return zone_name_; }

 private:
  std::chrono::minutes from_;
  std::chrono::minutes to_;
  std::string zone_name_;
  const date::time_zone* zone_;
};

struct Route {
  std::string name;
  std::vector<std::string> clinics;          ///< empty: any
  std::vector<engine::Severity> severities;  ///< empty: any
  std::vector<engine::RuleId> rules;         ///< empty: any
  std::string receiver;
  bool continue_matching = false;  ///< also try the routes after this one
  /// Until acknowledged; none: the policy's interval for the alert's severity; zero: no repeats.
  std::optional<Seconds> repeat_interval;
  std::optional<Seconds> escalate_after;  ///< not acknowledged by then: tell escalate_to
  std::string escalate_to;
  bool send_resolved = true;  ///< resolved and withdrawn notices
  std::optional<QuietHours> quiet_hours;
  Seconds group_wait{0};  ///< notices of one receiver and clinic this close together go as one message

  bool matches(const engine::Alert& alert) const;
  /// When a notice of `severity` decided at `at` may go: held through quiet hours unless critical.
  Timestamp release(engine::Severity severity, Timestamp at) const;
};

struct NotifyConfig {
  std::string dashboard_url;      ///< the dashboard's public address, for links in notices; empty: no links
  Seconds dead_after{24 * 3600};  ///< a notice not delivered this long after its first failure is dead
  std::vector<Receiver> receivers;
  std::vector<Route> routes;

  const Receiver* receiver(std::string_view name) const;
  const Route* route(std::string_view name) const;
  /// "configured: a, b" or "none is configured", for a message about a receiver that is not there.
  std::string receiver_names() const;
  /// Checks references between receivers and routes; returns the problems, one sentence each.
  std::vector<std::string> problems() const;
};

/// Alertmanager forgets an alert whose endsAt passed: open ones are sent again this often, with endsAt
/// five minutes ahead, so four refreshes may be lost before it resolves one on its own.
inline constexpr Seconds alertmanager_refresh{60};
/// Ended alerts are sent to Alertmanager for this long, so a restarted Alertmanager learns of the end.
inline constexpr Seconds alertmanager_resolved_for{300};

}  // namespace sterifleet::notify
