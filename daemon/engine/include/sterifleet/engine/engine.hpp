// The compliance engine: devices, sessions, cartridges, cycles and alerts, driven by decoded messages.
// Pure: no I/O, the clock comes in with every call. Not thread-safe: one caller at a time may change
// it, while no one reads (the daemon's Fleet: its inputs take turns, and its readers share a lock the
// input path takes exclusively to change the engine); const members may run concurrently with each
// other. Any arrival order (devices interleaved, a device's lost messages replayed late) gives the
// same final state and alert history, transport alerts aside (see daemon/engine/README.md).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sterifleet/engine/effects.hpp"
#include "sterifleet/engine/intake.hpp"
#include "sterifleet/engine/policy.hpp"
#include "sterifleet/engine/records.hpp"
#include "sterifleet/protocol/codec.hpp"

namespace sterifleet::engine {

struct RecalledSession {
  DeviceId pen;
  SessionId session;
  Timestamp started;
  protocol::OperatorId operator_id;
  protocol::PatientRef patient;
  bool patient_drift = false;  ///< the reference did not match the policy's pattern (SessionRecord)
  std::string after_cycle;     ///< the recalled cycle that last reprocessed the pen before the session:
                               ///< of Recall::cycles, the newest with the pen in its load, before `started`
};

struct Recall {
  std::string cycle_key;  ///< the cycle whose BI read positive
  Timestamp bi_read_at;
  std::vector<std::string> cycles;  ///< recalled cycles, oldest first
  std::vector<DeviceId> devices;
  /// Every session that used a device of those loads after a recalled cycle and before the device's next
  /// valid reprocessing, once, by start time, then pen, then session id.
  std::vector<RecalledSession> sessions;
};

/// Reprocessing entered by a person (a chemical soak, a sterilizer without network).
struct ManualReprocessing {
  ClinicId clinic;
  std::string id;  ///< unique; the cycle key becomes "manual/<id>"
  Timestamp at;
  protocol::CycleComplete cycle;  ///< method, parameters, load (the devices), operator
};

/// A notification of an alert that nobody got: its receiver answered that it is gone (410), or the
/// receiver's time to take it ran out (a dead letter). Reported by the daemon's dispatcher.
struct DeliveryFailure {
  std::string receiver;  ///< the receiver's name: the delivery.failed alert's subject
  ClinicId clinic;       ///< of the alert whose notification died
  std::string alert_id;  ///< the alert whose notification died
  std::string rule;      ///< its rule id
  std::string answer;    ///< why: what the receiver answered ("HTTP 410", "timed out", ...)
  Timestamp at;          ///< when it was given up on
};

class Engine {
 public:
  Engine(Policy policy, Timestamp started_at);
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;

  /// A message as it came off the wire: decoded, judged, and what it was rejected for if it was
  /// (intake.hpp). An event or birth that cannot be judged raises device.event_rejected; the sequence
  /// number of a rejected message counts as received.
  Judgement receive(const RawMessage& raw, const Intake& intake);
  /// A decoded device message. Refusals: "duplicate" (already seen: nothing changed),
  /// "sequence_regression", "wrong_device_kind", "duplicate_cycle", "clinic_mismatch" (the device is bound
  /// to another clinic than the message's: nothing changed).
  Effects apply(const protocol::DeviceMessage& message, Timestamp received_at);
  Effects apply(const protocol::StatusMessage& message, Timestamp received_at);
  /// Time passes: offline detection (and the pen locks its alerts bring). No notifications: repeats
  /// until acknowledged are the daemon's outbox rows, due when its routes say (daemon/notify).
  Effects tick(Timestamp now);
  /// The daemon (re)started at `at`: silence before it is not held against devices.
  void note_start(Timestamp at);

  Effects acknowledge(const std::string& alert_id, const Actor& by, std::string comment, Timestamp now);
  Effects resolve(const std::string& alert_id, const Actor& by, std::string reason, Timestamp now);
  Effects record_manual_reprocessing(const ManualReprocessing& entry, const Actor& by, Timestamp now);
  Effects add_maintenance(const DeviceId& device, MaintenanceWindow window, const Actor& by, Timestamp now);
  /// Opens delivery.failed for (clinic, receiver), or counts another occurrence on the one open.
  Effects delivery_failed(const DeliveryFailure& failure, Timestamp now);
  /// A delivery to `receiver` for `clinic` succeeded: its delivery.failed alert, if one is current, is
  /// resolved ("delivered again").
  Effects delivery_recovered(const std::string& receiver, const ClinicId& clinic, Timestamp now);
  /// Forgets history before `cut` that can no longer change (finished sessions, settled alerts, old
  /// cycles and cartridges), keeping memory bounded; the store keeps everything. Late messages older
  /// than the cut are still applied, but cannot rewrite what was forgotten.
  void compact(Timestamp cut);
  /// New policy for what happens from now on (SIGHUP).
  Effects set_policy(Policy policy, const Actor& by, Timestamp now);

  const Policy& policy() const;
  const DeviceRecord* device(const DeviceId& id) const;
  void for_each_device(const std::function<void(const DeviceRecord&)>& visit) const;
  const Alert* alert(const std::string& id) const;
  /// Whether the condition of (clinic, rule, subject) holds now: an alert of it opened and not cleared
  /// (a person may have resolved it meanwhile).
  bool has_current_alert(const ClinicId& clinic, RuleId rule, const std::string& subject) const;
  /// Open or acknowledged alerts whose device is `device`.
  std::vector<const Alert*> active_alerts(const DeviceId& device) const;
  void for_each_alert(const std::function<void(const Alert&)>& visit) const;
  const CycleRecord* cycle(const std::string& key) const;
  void for_each_cycle(const std::function<void(const CycleRecord&)>& visit) const;
  const CartridgeRecord* cartridge(const ClinicId& clinic, const protocol::CartridgeId& id) const;
  std::optional<Recall> recall(const std::string& cycle_key) const;

  /// The devices whose record may have changed since the last call: what a view of the devices must
  /// render again (an alert's device is in its AlertChange). `all` after a restore, a compaction or a
  /// policy change.
  struct ChangedDevices {
    bool all = false;
    std::vector<DeviceId> ids;
  };
  ChangedDevices take_changed_devices();

  /// The whole state as canonical bytes (sterifleet/engine/snapshot.hpp): equal states, equal bytes.
  std::string snapshot() const;
  /// The same state as JSON with the snapshot's field names: for tests and diagnostics.
  nlohmann::json snapshot_json() const;
  /// The engine whose snapshot() gave `bytes`, with the policy that was in force in it. `configured`
  /// is the policy a fresh engine would be built with: the history in the snapshot was judged under the
  /// policy its engine was built with (up to its first set_policy), so when that differs from
  /// `configured`, rebuilding from the journal would judge it differently and the snapshot is refused.
  /// Throws SnapshotError.
  static Engine from_snapshot(const Policy& configured, std::string_view bytes);

 private:
  class Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// "<sterilizer>/<cycle>"
std::string cycle_key(const DeviceId& sterilizer, const protocol::CycleId& cycle);

}  // namespace sterifleet::engine
