// The notification outbox: what an alert transition decided to tell whom, stored in the transaction
// of the transition itself, so a crash between the alert and its delivery loses nothing. Timers are
// rows with a due time (a repeat until acknowledged, an escalation, Alertmanager's refresh); a
// delivered timer row is re-armed for its next round, a cancelled one stays as history.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sterifleet/protocol/time.hpp"
#include "sterifleet/store/clinic_scope.hpp"

namespace sterifleet::store {

using protocol::Timestamp;

enum class OutboxState {
  pending,    ///< waiting for its due time, being retried, or a timer between rounds
  delivered,  ///< the receiver took it (a timer row that has no next round)
  dead,       ///< retried until its receiver's time ran out, or its receiver is disabled: nobody got it
  cancelled,  ///< an acknowledgement, resolution or withdrawal made it moot before it was sent
};
std::string_view to_string(OutboxState state) noexcept;
std::optional<OutboxState> parse_outbox_state(std::string_view text) noexcept;

/// A notification as the planner decides it.
struct OutboxRow {
  std::string id;        ///< unique; the notice's id is derived from it and the row's round
  std::string alert_id;  ///< empty for a test notice
  std::string clinic;
  std::string receiver;
  std::string kind;   ///< notify::NoticeKind's name
  std::string route;  ///< the route that chose the receiver, for the re-arming rules; may be empty
  Timestamp created_at{};
  Timestamp due_at{};
  /// 0: sent once. Otherwise a timer: after each delivery it is due again this much later.
  std::chrono::milliseconds every{0};
  /// A timer stops re-arming at this time (Alertmanager's resolved notices); none: until cancelled.
  std::optional<Timestamp> until;
  std::string notice;  ///< the notice's JSON (notify::to_json), rendered when it was decided
};

/// Cancels the pending rows of an alert whose kind or receiver is listed.
struct OutboxCancel {
  std::string alert_id;
  std::vector<std::string> kinds;
  std::vector<std::string> receivers;
};

/// A pending row as the dispatcher reads it.
struct PendingNotification {
  OutboxRow row;
  std::int64_t round = 0;                  ///< how many times a timer was delivered
  std::int64_t attempts = 0;               ///< failed attempts of this round
  std::optional<Timestamp> first_failure;  ///< of this round: a retry dies when its receiver's time ran out
};

/// What one attempt to deliver a row came to.
struct DeliveryAttempt {
  enum class Result {
    delivered,  ///< taken: done, or (a timer) re-armed for its next round
    retry,      ///< not taken: due again at next_due
    dead,       ///< not taken and given up on
  };
  std::string id;
  std::int64_t round = 0;  ///< the round attempted: an attempt on a round that has moved on is ignored
  Timestamp at{};
  Result result = Result::retry;
  int status = 0;
  std::string answer;
  std::chrono::milliseconds latency{0};  ///< from the row's due time to the receiver's answer
  /// retry: when (none: at once); delivered: a timer's next round, none when the row is done.
  std::optional<Timestamp> next_due;
};

/// The name an attempt's history row keeps: "delivered", "retry", "dead".
std::string_view to_string(DeliveryAttempt::Result result) noexcept;

struct NotificationQuery {
  std::optional<std::string> alert_id{};
  std::optional<std::string> clinic{};
  std::optional<std::string> receiver{};
  std::optional<std::string> state{};  ///< pending, delivered, dead, cancelled
  std::size_t limit = 100;
  ClinicScope scope{};  ///< the caller's clinics, besides `clinic`
};

}  // namespace sterifleet::store
