// What a receiver is told: one notice per alert transition (or timer) and receiver, and the delivery
// that carries the notices of one receiver and clinic that fell due together. Plain data with one JSON
// form, stored in the outbox row and parsed back by the dispatcher, so a restart sends what was decided.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sterifleet/protocol/time.hpp"

namespace sterifleet::notify {

using protocol::Timestamp;

enum class NoticeKind {
  firing,      ///< the alert opened (or reopened)
  repeat,      ///< still open and not acknowledged after the route's repeat interval
  escalation,  ///< not acknowledged within the route's escalate_after: sent to escalate_to
  resolved,    ///< the condition cleared, or a person resolved it
  withdrawn,   ///< late data showed the condition never held
  test,        ///< `sterifleet notify test`: no alert behind it
  checkpoint,  ///< the daemon's signed audit checkpoint (daemon/checkpoint), to keep: no alert behind it
};
std::string_view to_string(NoticeKind kind) noexcept;
std::optional<NoticeKind> parse_notice_kind(std::string_view text) noexcept;

struct Notice {
  std::string id;  ///< stable over retries and restarts: receivers drop duplicates by it
  NoticeKind kind = NoticeKind::firing;
  std::string receiver;
  Timestamp created_at{};  ///< when the transition or the timer decided it
  nlohmann::json alert;    ///< the alert as engine::to_json writes it (id, clinic, rule, severity, device, ...)
  std::string alert_url;   ///< the alert on the dashboard; empty when no public URL is configured
  std::string advice;      ///< what to do, in a sentence a clinic manager understands
  int repeat = 0;          ///< for a repeat: the how-manyth

  // A test notice has no alert behind it (null): empty then, rather than nlohmann's type_error.
  std::string alert_id() const { return alert.is_object() ? alert.value("id", "") : ""; }
  std::string clinic() const { return alert.is_object() ? alert.value("clinic", "") : ""; }
};

nlohmann::json to_json(const Notice& notice);
/// Throws (nlohmann::json::exception, std::invalid_argument) when `json` is not a notice's form.
Notice notice_from_json(const nlohmann::json& json);

/// The notices of one receiver and clinic sent together (a burst within group_wait is one message).
struct Delivery {
  std::string id;  ///< stable while the same notices are retried: a hash of their ids
  std::string receiver;
  std::string clinic;
  std::vector<Notice> notices;
};

/// A delivery of `notices` (one receiver, one clinic), its id derived from theirs.
Delivery make_delivery(std::vector<Notice> notices);

}  // namespace sterifleet::notify
