// People's actions and the clock's, as types. The journal keeps each as a kind and a JSON body
// (store::Action); to_stored() writes that form and read_action() reads it back, field by field, so a
// missing or mistyped field is an error naming it, never an empty id. apply() runs one on an engine:
// the daemon as it happens and on restart, and `sterifleet replay` from an export, alike.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <string>
#include <variant>

#include "sterifleet/engine/engine.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::fleet {

using protocol::Timestamp;

namespace action {

/// The daemon started, or its broker connection came back: silence before it is not held against
/// devices.
struct Start {};
/// Time passes: offline detection, shelf-life deadlines.
struct Tick {};
/// Forget what can no longer change before `cut` (memory stays bounded; the store keeps everything).
struct Compact {
  Timestamp cut;
};
struct Acknowledge {
  std::string alert;
  std::string comment;
};
struct Resolve {
  std::string alert;
  std::string reason;
};
struct Maintenance {
  protocol::DeviceId device;
  engine::MaintenanceWindow window;
};
struct SetPolicy {
  std::string text;    ///< the policy file as given, parsed again on replay
  std::string source;  ///< where it came from, for error messages and the audit trail
};
/// A reprocessing a person entered by hand (a sterilizer that does not report).
struct ManualReprocessing {
  engine::ManualReprocessing entry;
  nlohmann::json cycle;   ///< the cycle as entered, kept in the journal as it was given
  bool at_given = false;  ///< whether the person said when it happened (else it is the entry's time)
};

/// A notification of an alert was given up on (its receiver said it is gone, or its time ran out):
/// delivery.failed for (clinic, receiver) opens or counts an occurrence.
struct DeliveryFailed {
  engine::DeliveryFailure failure;
};
/// A delivery to a receiver for a clinic succeeded: its delivery.failed alert, if current, resolves.
struct DeliveryRecovered {
  std::string receiver;
  protocol::ClinicId clinic;
};

/// An API token was made. Only its description is journaled: the hash of its secret goes to the store
/// with it (store::Commit::new_tokens), never into the journal. Changes nothing in the engine; it is
/// an action so that its audit record is written, in turn, by the one writer of the chain.
struct TokenCreated {
  store::TokenRecord token;
  std::string cause;  ///< the request or command that made it
};
/// An API token was revoked; `token` as it was before.
struct TokenRevoked {
  store::TokenRecord token;
  std::string cause;
};

}  // namespace action

using ActionKind =
    std::variant<action::Start, action::Tick, action::Compact, action::Acknowledge, action::Resolve,
                 action::Maintenance, action::SetPolicy, action::ManualReprocessing, action::DeliveryFailed,
                 action::DeliveryRecovered, action::TokenCreated, action::TokenRevoked>;

struct JournalAction {
  Timestamp at;
  std::string actor;  ///< "token:anna", "engine"
  ActionKind what;
};

/// The journal's form: the kind's name and its fields as JSON.
store::Action to_stored(const JournalAction& action);
/// The typed action of a journal entry; a refusal (bad_request) naming the field that is wrong.
/// `max_clock_skew`: how far ahead of the entry a manual reprocessing's "at" may be.
boost::system::result<JournalAction, engine::Refusal> read_action(const store::Action& stored,
                                                                  std::chrono::seconds max_clock_skew);

/// The manual reprocessing a person entered: {"clinic", "id", "at"?, "cycle"} where the cycle has the
/// fields of a cycle.complete body (protocol/README.md), held to the letter of the spec (drift is an
/// error here, there is nothing to judge conservatively). Error messages start with the field's JSON
/// Pointer in `entry`. `now` is when it is entered: the default of "at", and the clock-skew reference.
boost::system::result<action::ManualReprocessing, engine::Refusal> read_manual_reprocessing(
    const nlohmann::json& entry, Timestamp now, std::chrono::seconds max_clock_skew);

/// A token as the journal, the audit trail and the API show it: {id, name, role, clinics (null: all),
/// created_at, revoked}; never its secret or hash.
nlohmann::json token_json(const store::TokenRecord& token);

/// The commit of a TokenCreated or TokenRevoked action: its journal entry, its audit record and the
/// token's row, one transaction. Refused when the store's tokens forbid it: a name taken (by a revoked
/// token too) or "bootstrap" (conflict), a token to revoke that is not there (not_found) or is revoked
/// already (conflict). `sha256_hex`: of the new token's secret. Run it by the store's one writer, or
/// where none runs (the CLI beside a stopped daemon; beside a running one SQLite serialises the two).
boost::system::result<store::Commit, engine::Refusal> token_commit(store::Store& store, const JournalAction& action,
                                                                   const std::string& sha256_hex = {});

/// The engine's effects of one action (a refusal for one it cannot apply: an alert that is not there).
engine::Effects apply(engine::Engine& engine, const JournalAction& action);

/// Reads the stored form and applies it: a journal entry that does not read is refused, not guessed.
engine::Effects apply_stored(engine::Engine& engine, const store::Action& stored, std::chrono::seconds max_clock_skew);

}  // namespace sterifleet::fleet
