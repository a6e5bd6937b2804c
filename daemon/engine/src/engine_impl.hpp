// Engine internals shared by the handler files: engine.cpp (dispatch, presence, people, locks),
// intake.cpp (raw messages, rejections, drift), pens.cpp (sessions, cartridges, telemetry), cycles.cpp
// (cycles, indicators, recall, daily tests), steps.cpp (the step rules' window).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "alert_book.hpp"
#include "sterifleet/engine/engine.hpp"
#include "sterifleet/engine/patient_ref.hpp"
#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::engine {

/// FNV-1a: a short, stable fingerprint of bytes (a payload, an id) where keeping them would cost more.
std::uint64_t fnv1a(std::string_view bytes);

/// Why a message under `topic_clinic`'s topics is not applied to a device bound to another clinic.
std::string clinic_mismatch_detail(const DeviceRecord& bound, const ClinicId& topic_clinic);

/// The effects of one input and the clock it runs on.
struct Run {
  Effects out;
  Timestamp now;
};

struct RetiredCartridge {
  Timestamp first_use;
  protocol::Date expires;
};

struct ClinicRecord {
  Timestamp clock{};  ///< newest device time of any of its devices
  std::unordered_map<protocol::CartridgeId, CartridgeRecord> cartridges;
  std::multimap<Timestamp, DeviceId> deadlines;  ///< shelf-life expiries ahead of the clock
  /// Cartridges compacted away, by a hash of their id, until they expire: a reuse is still caught.
  std::unordered_map<std::uint64_t, RetiredCartridge> retired_cartridges;
};

/// A session a start or end message just changed, and the audit record that message wrote for it.
struct TouchedSession {
  SessionId id;
  std::size_t audit_record;  ///< index in the run's audit records
};

struct OrphanEnd {  ///< a session.end whose start was refused or has not arrived yet (it comes by replay)
  Timestamp ts;
  protocol::SessionEnd end;
};

class Engine::Impl {
 public:
  Impl(Policy p, Timestamp started) : policy(p), initial_policy(std::move(p)), started_at(started) {
    in_maintenance = [this](const DeviceId& id, Timestamp t) {
      const auto it = devices.find(id);
      return it != devices.end() && it->second.in_maintenance(t);
    };
  }

  AlertBook::Context context(Run& run) { return {policy, run.now, run.out, in_maintenance}; }
  DeviceRecord& device(const ClinicId& clinic, const DeviceId& id);
  DeviceRecord* find_device(const DeviceId& id);
  ClinicRecord& clinic(const ClinicId& id) { return clinics[id]; }
  /// `clinic` empty for a record of the whole fleet.
  void audit(Run& run, const ClinicId& clinic, Timestamp at, Actor actor, std::string entity, std::string action,
             nlohmann::json before, nlohmann::json after, std::string cause);

  // engine.cpp
  Effects apply_message(const protocol::DeviceMessage& message, Timestamp received_at);
  /// Records the message's (boot, seq); false, with the refusal set, for a redelivery or a regression.
  bool check_sequence(DeviceRecord& device, const protocol::Envelope& env, Run& run);
  void note_presence(DeviceRecord& device, Presence presence, Run& run, std::string_view why);
  void advance_clock(const ClinicId& clinic, Timestamp ts, Run& run);
  void reconcile_locks(Run& run);
  void detect_offline(Run& run);

  // intake.cpp
  Judgement receive(const RawMessage& raw, const Intake& intake);
  Judgement reject(const RawMessage& raw, const protocol::DecodeError& error, const Intake& intake);
  Judgement judge_as_before_fail_safe(const RawMessage& raw, const EarlierJudgement& earlier, const Intake& intake);
  void identity_mismatch(const protocol::Topic& topic, Timestamp received_at, Run& run);
  /// The device's record if it is bound to another clinic than `clinic` (the clinic of its first message).
  const DeviceRecord* bound_elsewhere(const ClinicId& clinic, const DeviceId& id) const;
  /// Quarantines a message from a bound device's id under another clinic's topic, unapplied, and raises
  /// device.clinic_mismatch in the device's own clinic. `also`: why the codec rejected it too, if it did.
  Judgement foreign_clinic(const RawMessage& raw, const protocol::Topic& topic, std::string_view type,
                           const std::string& also);
  Effects apply_status(const protocol::StatusMessage& message, Timestamp received_at);
  /// Whether a message whose key was seen before is that message again, not another under its key.
  bool is_redelivery(const DeviceRecord& device, const protocol::Envelope& env, std::string_view payload,
                     const Intake& intake) const;
  /// Remembers the payload of a message that was not accepted, to tell its redeliveries from conflicts.
  void remember_rejected(DeviceRecord& device, const protocol::Envelope& env, std::string_view payload);
  /// device.event_rejected for one message that could not be judged; `subject` names it.
  void event_rejected(DeviceRecord& device, const std::string& subject, Timestamp at, std::string_view type,
                      const std::string& reason, const std::string& detail, const RawMessage& raw, Run& run);
  void note_drift(DeviceRecord& device, const std::vector<protocol::Drift>& drift, std::string_view type, Timestamp ts,
                  const std::string& key, Run& run);

  // pens.cpp
  /// The policy's patient reference pattern, compiled when the policy's text changes.
  const PatientRefPattern& patient_ref_pattern();
  /// Drift of a session start whose patient reference breaks the policy's pattern, unless the codec
  /// already reported that field.
  std::optional<protocol::Drift> patient_ref_drift(const protocol::SessionStart& start,
                                                   const std::vector<protocol::Drift>& reported);
  void on_session_start(DeviceRecord& pen, const protocol::SessionStart& start, const protocol::Envelope& env,
                        Run& run);
  void on_session_end(DeviceRecord& pen, const protocol::SessionEnd& end, const protocol::Envelope& env, Run& run);
  void audit_end(const DeviceRecord& pen, const SessionId& session, Timestamp ts, const protocol::SessionEnd& end,
                 const std::string& cause, Run& run);
  void on_cartridge_change(DeviceRecord& pen, const protocol::CartridgeId& cartridge, bool removed,
                           const protocol::Envelope& env, Run& run);
  void on_telemetry(DeviceRecord& pen, const protocol::Telemetry& telemetry, const protocol::Envelope& env, Run& run);
  /// The times of the pen's session ends whose start was never judged (orphan_ends), ascending.
  std::vector<Timestamp> unmatched_ends(const DeviceRecord& pen) const;
  /// Re-derives hygiene and each session's clearance. A session whose clearance changes gets an audit
  /// record of its own, except the `touched` one: its start or end was just audited, that record gets
  /// the clearance, and it is reported even if its clearance did not change.
  void rederive_pen(DeviceRecord& pen, Run& run, const std::string& cause,
                    std::optional<TouchedSession> touched = std::nullopt);
  void rederive_cartridge(const ClinicId& clinic, const protocol::CartridgeId& id, Run& run);

  // compaction.cpp
  void compact(Timestamp cut);
  void compact_pen(DeviceRecord& pen, Timestamp cut, Run& run);
  void compact_cycles(Timestamp cut);
  void compact_cartridges(ClinicRecord& clinic, const ClinicId& id, Timestamp cut);
  CartridgeRecord& cartridge_record(const ClinicId& clinic, const protocol::Cartridge& spec);

  // steps.cpp
  /// A fact of a step rule: placed by device time, the device's step rules re-run over its window.
  void add_step(DeviceRecord& device, StepFact fact, Run& run);
  void step_in_order(DeviceRecord& device, const StepFact& fact, Run& run);
  /// Folds the window's first `count` facts into the base.
  void fold_steps(DeviceRecord& device, std::size_t count);
  /// Folds the window's facts before `cut` into the base: a gap older than the horizon holds none back.
  void fold_steps_before(DeviceRecord& device, Timestamp cut);

  // cycles.cpp
  void on_cycle(DeviceRecord& sterilizer, const protocol::CycleComplete& cycle, const protocol::Envelope& env,
                Run& run);
  void on_bi(DeviceRecord& sterilizer, const protocol::BiResult& bi, const protocol::Envelope& env, Run& run);
  void on_bowie_dick(DeviceRecord& sterilizer, const protocol::BowieDickTest& test, const protocol::Envelope& env,
                     Run& run);
  void record_cycle(CycleRecord record, Run& run);
  void rederive_cycle(CycleRecord& cycle, Run& run);
  void recompute_recalls(const DeviceId& sterilizer, Run& run);
  bool fact_sufficient(const CycleRecord& cycle, const DeviceRecord& item) const;
  std::optional<Recall> recall(const std::string& cycle_key) const;

  Policy policy;
  Policy initial_policy;  ///< what it was built with: history before the first set_policy was judged under it
  Timestamp started_at;
  AlertBook::MaintenanceCheck in_maintenance;
  std::unordered_map<DeviceId, DeviceRecord> devices;
  std::unordered_map<ClinicId, ClinicRecord> clinics;
  std::unordered_map<std::string, CycleRecord> cycles;
  std::unordered_map<std::string, std::vector<std::pair<protocol::BiResult, protocol::Envelope>>> orphan_bis;
  std::unordered_map<std::string, OrphanEnd> orphan_ends;  ///< by "<pen>/<session>"
  AlertBook alerts;
  /// Every device handed out for change (device(), find_device()) since take_changed_devices().
  std::unordered_set<DeviceId> changed;
  bool all_changed = true;
  std::optional<PatientRefPattern> patient_refs;
};

}  // namespace sterifleet::engine
