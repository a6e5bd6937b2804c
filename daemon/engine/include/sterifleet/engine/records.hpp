// The engine's records of devices, sessions, cartridges and cycles. The engine owns and mutates them;
// everyone else reads them through const references (dashboards, API, reports).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sterifleet/engine/alert.hpp"
#include "sterifleet/engine/cycle_assessment.hpp"
#include "sterifleet/engine/sequence_tracker.hpp"
#include "sterifleet/protocol/message.hpp"

namespace sterifleet::engine {

using protocol::CartridgeId;
using protocol::ClinicId;
using protocol::CycleId;
using protocol::DeviceId;
using protocol::SessionId;
using protocol::Timestamp;

/// "<device>/<boot>/<seq>": the idempotency key of a device message, as text.
std::string message_key(const protocol::Envelope& envelope);

enum class Hygiene { ready, in_use, needs_reprocessing };
enum class Presence { unknown, online, offline, shutdown };
enum class CycleState { invalid, awaiting_bi, valid, recalled };
std::string_view to_string(Hygiene hygiene) noexcept;
std::string_view to_string(Presence presence) noexcept;
std::string_view to_string(CycleState state) noexcept;

struct SessionRecord {
  SessionId id;
  std::string key;  ///< message key of its start
  Timestamp started;
  std::optional<Timestamp> ended;
  protocol::SessionStart start;
  std::optional<protocol::SessionEnd> end;
  /// What made it legal: the cycle key of the reprocessing before it, "first use" for a pen never used
  /// before, or empty: started without valid reprocessing.
  std::string clearance;
  /// Its patient reference did not match the policy's pattern when it started: drift, withheld from viewers.
  bool patient_drift = false;
};

/// A pen was in a load (or reprocessed by hand) at `ts`.
struct ReprocessingFact {
  Timestamp ts;
  std::string cycle_key;                 ///< "<sterilizer>/<cycle>" or "manual/<id>"
  bool sufficient = false;               ///< parameters, indicator and level right for this pen's model
  std::optional<Timestamp> recalled_at;  ///< a positive BI read at this time recalled the cycle

  bool valid_at(Timestamp t) const { return sufficient && (!recalled_at || t < *recalled_at); }
};

/// A change of the mounted cartridge, from the pen's own messages.
struct CartridgeChange {
  Timestamp ts;
  CartridgeId cartridge;
  bool removed = false;  ///< false: inserted or used in a session start
};

struct Telemetrics {
  protocol::Telemetry last;
  Timestamp at;
};

/// A fact the step rules read (battery, service, depth during a session, the daily air-removal test;
/// daemon/engine/src/step_rules.hpp), from one message of the device.
struct StepFact {
  enum class Kind { telemetry, session_start, session_end, bowie_dick, prevac_load };
  Kind kind = Kind::telemetry;
  Timestamp ts;
  std::uint32_t boot = 0;
  std::uint64_t seq = 0;
  std::optional<SessionId> session = {};  ///< telemetry (the running one, if any), session start and end
  double battery_pct = 0;                 ///< telemetry
  std::int64_t motor_runtime_s = 0;       ///< telemetry
  double depth_mm = 0;                    ///< telemetry, session start
  double limit_mm = 0;                    ///< session start: its area's limit under the policy of then
  std::string label = {};                 ///< session start: its area; prevac load: the cycle id
  bool passed = false;                    ///< Bowie-Dick test
};

/// What the step rules have open at the start of a device's window of facts.
struct StepState {
  Timestamp since{};  ///< facts before it are folded in; alerts opened before it are settled
  std::optional<Episode> battery_low;
  std::optional<Episode> service_due;
  std::optional<SessionId> session;  ///< the session running, by device time
  double session_limit_mm = 0;
  std::string session_area;
  std::map<SessionId, Episode> depth;  ///< open depth episodes (an interrupted session's stays open)
  std::optional<protocol::Date> day;   ///< a sterilizer's current UTC day
  bool tested_today = false;
  bool loaded_today = false;
  std::optional<Episode> test_missing;
  std::optional<Episode> test_failed;
};

/// A descriptive field of a device's messages sent outside the spec (protocol::Drift), by field.
struct DriftRecord {
  Timestamp first;  ///< device time of the earliest message that carried it
  std::string key;  ///< that message's key
  std::string type;
  std::string value;  ///< as that message sent it
  std::string detail;
  std::int64_t messages = 0;
};

struct MaintenanceWindow {
  Timestamp from;
  Timestamp to;
  std::string reason;
};

struct DeviceRecord {
  ClinicId clinic;
  DeviceId id;
  std::optional<protocol::DeviceKind> kind;  ///< from the birth, or inferred from what it sends
  bool registered = false;                   ///< a birth was seen
  std::string model;
  std::string firmware;
  std::optional<std::chrono::seconds> declared_heartbeat;
  Presence presence = Presence::unknown;
  Timestamp presence_changed{};  ///< receipt time
  Timestamp last_received{};     ///< receipt time
  Timestamp last_seen{};         ///< device time of its newest message
  bool locked = false;           ///< as last commanded
  std::vector<MaintenanceWindow> maintenance;
  SequenceTracker sequence;
  std::map<std::string, DriftRecord> drift;  ///< by JSON Pointer of the field
  /// Keys (boot, seq) of its messages that were not accepted, with a fingerprint of their payload; only
  /// of the boots the sequence tracker remembers.
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::uint64_t> rejected;

  // Pens.
  Hygiene hygiene = Hygiene::ready;
  std::vector<SessionRecord> sessions;  ///< by start time (the pen's own order)
  std::unordered_map<SessionId, std::size_t> session_index;
  std::vector<ReprocessingFact> reprocessings;  ///< by time; cycles of other devices arrive in any order
  std::vector<CartridgeChange> cartridge_changes;
  std::optional<CartridgeId> mounted;
  std::optional<Telemetrics> telemetry;  ///< the newest by device time
  /// History before this time was compacted away (the store keeps it): the derivation starts from the
  /// state below instead of from the pen's first session.
  std::optional<Timestamp> compacted_before;
  std::optional<Timestamp> compacted_last_end;  ///< end of the last session compacted away

  // Step rules (pens and sterilizers): facts kept while a late message could still come before them.
  std::vector<StepFact> steps;  ///< by device time, boot and seq
  StepState step_base;          ///< the state before them

  // Sterilizers.
  std::vector<std::string> cycles;  ///< cycle keys by time

  bool is_pen() const { return kind.value_or(protocol::DeviceKind::pen) != protocol::DeviceKind::sterilizer; }
  bool in_maintenance(Timestamp t) const;
};

struct CartridgeUse {
  Timestamp ts;
  DeviceId device;
  SessionId session;
  std::string key;
};

struct CartridgeRecord {
  ClinicId clinic;
  protocol::Cartridge spec;        ///< as first reported
  std::vector<CartridgeUse> uses;  ///< by time
};

struct BiRecord {
  Timestamp ts;
  protocol::BiReading result = protocol::BiReading::negative;
  std::string key;
};

struct CycleRecord {
  ClinicId clinic;
  DeviceId sterilizer;
  std::string key;      ///< "<sterilizer>/<cycle>"
  std::string message;  ///< key of the cycle.complete message, or the manual entry's id
  Timestamp ts;
  protocol::CycleComplete cycle;
  CycleAssessment assessment;
  std::optional<BiRecord> bi;
  std::optional<Timestamp> recalled_at;
  std::string recalled_by;  ///< key of the positive cycle
  Actor entered_by;         ///< for manual reprocessing: the person

  CycleState state() const;
};

}  // namespace sterifleet::engine
