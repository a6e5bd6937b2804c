// What the engine asks the outside world to do after an input: alert transitions to store and
// stream, commands to publish, audit records to chain. Notifications are not the engine's: the
// daemon's outbox (daemon/notify) derives them from alert transitions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sterifleet/engine/alert.hpp"
#include "sterifleet/engine/records.hpp"
#include "sterifleet/protocol/command.hpp"

namespace sterifleet::engine {

enum class Transition { opened, occurred, acknowledged, resolved, reopened, withdrawn, silenced };
std::string_view to_string(Transition transition) noexcept;

struct AlertChange {
  Transition transition = Transition::opened;
  Alert alert;  ///< after the change
};

struct CommandRequest {
  ClinicId clinic;
  DeviceId device;
  protocol::CommandBody body;
};

/// One entry of the audit trail before the store chains it.
struct AuditRecord {
  Timestamp at;  ///< when it happened (device time for device facts, the clock for people)
  Actor actor;
  std::string entity;  ///< "pen:PEN-0001", "cycle:STER-01/CYC-1", "alert:<id>", "policy"
  std::string action;
  nlohmann::json before;
  nlohmann::json after;
  std::string cause;  ///< message key or request
  /// The clinic of the device, session, cycle or alert it concerns; empty for what belongs to the whole
  /// fleet (policy, tokens). Part of the record's hash, and what a clinic's token may read.
  std::string clinic{};
};

/// Why the engine did not accept an input. A refused device message is quarantined under the code's
/// name; a refused action of a person becomes an API error (daemon/http maps them, in one table).
enum class RefusalCode {
  bad_request,          ///< the input itself is wrong
  not_found,            ///< it names an alert or device the engine does not have
  conflict,             ///< the state forbids it now (an alert already acknowledged, an entry made twice)
  duplicate,            ///< a device message already processed
  seq_conflict,         ///< another payload under a (device, boot, seq) already stored
  sequence_regression,  ///< older than what the device has sent since
  wrong_device_kind,    ///< a message the device's kind does not send
  duplicate_cycle,      ///< a sterilizer cycle reported twice
  clinic_mismatch,      ///< a device's message on another clinic's topic than the one it is bound to
};

/// Stable snake_case name, e.g. "sequence_regression": a quarantine reason and metric label.
std::string_view to_string(RefusalCode code) noexcept;

struct Refusal {
  RefusalCode code;
  std::string message;
};

/// A session as reports need it: emitted when it starts, ends, or the reprocessing that made it legal
/// changes (a late cycle, a recall).
struct SessionChange {
  ClinicId clinic;
  DeviceId pen;
  SessionRecord session;
};

/// A cycle as reports need it: emitted when it completes, its BI is read, or a recall changes it.
struct CycleChange {
  CycleRecord cycle;
};

struct Effects {
  std::optional<Refusal> refusal;
  std::vector<AlertChange> alerts;
  std::vector<SessionChange> sessions;
  std::vector<CycleChange> cycles;
  std::vector<CommandRequest> commands;
  std::vector<AuditRecord> audit;

  bool accepted() const noexcept { return !refusal; }
  void append(Effects&& other);
};

/// JSON forms shared by audit records, the store, the API and reports (documented in the OpenAPI file).
nlohmann::json to_json(const Alert& alert);
nlohmann::json to_json(const SessionChange& change);
nlohmann::json to_json(const CycleRecord& cycle);

}  // namespace sterifleet::engine
