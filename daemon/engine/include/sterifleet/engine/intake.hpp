// What becomes of a message as it came off the wire: accepted (with the drift of its descriptive fields),
// a redelivery, or rejected into the quarantine with the alerts a rejection raises. The daemon and
// `sterifleet replay` both hand raw messages to Engine::receive, so they judge the same input alike.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "sterifleet/engine/effects.hpp"
#include "sterifleet/protocol/message.hpp"

namespace sterifleet::engine {

/// How a message was judged when its store predated fail-safe judging (store schema v8).
struct EarlierJudgement {
  std::string_view quarantined_as;  ///< the quarantine reason; empty: it was accepted
};

struct RawMessage {
  std::string_view topic;
  std::string_view payload;
  Timestamp received_at;
  bool retained = false;           ///< the broker's retained copy (statuses, replayed on subscribe)
  std::int64_t quarantine_id = 0;  ///< the id it is kept under if it is quarantined
  /// Replaying a journal written before fail-safe judging (store::Store::journal_before_fail_safe): the
  /// message is judged again as it was then, so the rebuilt engine is the one whose effects the store
  /// holds.
  std::optional<EarlierJudgement> judged_before_fail_safe = std::nullopt;
};

enum class Disposition { accepted, duplicate, quarantined };

struct Judgement {
  Disposition disposition = Disposition::accepted;
  std::optional<protocol::Inbound> message;  ///< what was accepted
  std::string reason;                        ///< quarantine reason code (protocol::Reason, or the engine's)
  std::string detail;
  Effects effects;
};

struct Intake {
  std::chrono::seconds max_clock_skew{300};
  /// Whether `payload` is the one stored under the message's key (nullopt: none is): a message seen
  /// before with another payload is a conflict, not a redelivery. Without it, a repeated key of an
  /// accepted message counts as a redelivery.
  std::function<std::optional<bool>(const protocol::Envelope&, std::string_view payload)> same_as_stored;
};

}  // namespace sterifleet::engine
