// The scenario's state: every device, clinic and pending event. Internal to the simulator library;
// behaviour lives in device.cpp, pen.cpp, session.cpp, reprocessing.cpp, clinic.cpp, commands.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "event_queue.hpp"
#include "sterifleet/protocol/message.hpp"
#include "sterifleet/sim/action.hpp"
#include "sterifleet/sim/config.hpp"
#include "sterifleet/sim/random.hpp"
#include "violations.hpp"

namespace sterifleet::sim {

using protocol::Timestamp;
using Ms = std::chrono::milliseconds;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

enum class Role { pen, sterilizer, spare };

/// A message kept for `replay`: the device resends it unchanged.
struct HistoryEntry {
  enum class State { sent, pending, withheld };  ///< pending: waiting in the offline backlog
  std::uint32_t boot = 0;
  std::uint64_t seq = 0;
  std::string type;
  std::string topic;
  std::string payload;
  State state = State::sent;
};

/// Replay buffer: at least this many messages of the current and previous boot.
inline constexpr std::size_t history_limit = 10'000;

struct Session {
  protocol::SessionStart start;
  std::size_t operator_index = 0;
  Timestamp started;
  Ms planned_duration{0};
  std::int64_t runtime_s = 0;  ///< motor run time over the whole session
  std::int64_t strokes = 0;
  /// cartridge.*, session.depth_exceeds_policy, device.protocol_drift (an unlisted area) or
  /// device.event_rejected (a start whose cartridge expiry is not a date)
  std::optional<Rule> injection;
  bool started_on_wire = false;
};

struct Reprocessing {
  Timestamp ts;
  std::size_t sterilizer = 0;  ///< device index
  std::string cycle;
};

struct PenState {
  enum class Activity { idle, reserved, in_session, in_load };
  Activity activity = Activity::idle;

  // Compliance facts, as the daemon will see them.
  std::optional<Timestamp> last_session_start;
  std::optional<Timestamp> last_session_end;
  std::optional<Reprocessing> last_valid;
  bool needs_initial = true;       ///< the daemon may remember an earlier run: reprocess before first use
  bool recalled = false;           ///< last reprocessing recalled by a positive BI
  bool skip_reprocessing = false;  ///< injected: the clinic forgets to reprocess it
  bool let_expire = false;         ///< injected: left unused past its shelf life
  Timestamp waiting_since;         ///< since when it waits for reprocessing
  Timestamp unavailable_until;     ///< charging after a flat battery, or out for service

  // Physical state.
  double battery = 100.0;
  double charge_per_hour = 30.0;
  Timestamp battery_at;
  double motor_runtime_s = 0.0;  ///< lifetime, excluding the running session
  double motor_strokes = 0.0;
  double depth = 0.5;
  double speed = 100.0;
  std::optional<Session> session;

  std::uint32_t sessions = 0;
  std::uint32_t cartridges = 0;
  std::optional<protocol::Cartridge> reusable;  ///< last normal cartridge: a cartridge.reused candidate

  bool mismatch_next = false;  ///< injected: next telemetry names another device
  bool withhold_next = false;  ///< injected: next telemetry's seq is skipped
  bool record_battery_low = false;
  bool record_service_due = false;
};

struct PendingBi {
  std::string cycle;
  Timestamp cycle_ts;
  bool positive = false;
};

struct SterilizerState {
  protocol::Method method = protocol::Method::steam_prevac;
  std::size_t capacity = 6;
  bool busy = false;
  std::optional<protocol::Date> bd_passed;     ///< UTC day of the last passing Bowie-Dick test
  std::optional<protocol::Date> test_skipped;  ///< injected: no test that day
  std::optional<protocol::Date> loaded;        ///< UTC day of the last load
  std::optional<protocol::Date> bi_loaded;     ///< UTC day of the last BI-monitored load
  std::uint32_t cycles = 0;
};

struct Device {
  std::size_t index = 0;
  std::size_t clinic_index = 0;
  protocol::ClinicId clinic;
  protocol::DeviceId id;
  Role role = Role::pen;
  std::string model;
  std::string firmware;

  std::uint32_t boot = 0;
  std::uint64_t seq = 0;
  bool powered = false;
  bool shutdown_pending = false;
  bool birth_sent = false;  ///< this boot
  std::optional<seconds> declared_heartbeat;

  bool dropped = false;
  Timestamp drop_until;
  std::vector<Publish> backlog;

  std::deque<HistoryEntry> history;
  bool locked = false;
  std::set<std::string> seen_commands;

  std::optional<PenState> pen;  ///< pens and the spare
  std::optional<SterilizerState> sterilizer;
};

struct Operator {
  protocol::OperatorId id;
  bool busy = false;
};

struct PendingExpiry {
  std::size_t pen = 0;
  Timestamp reprocessed;
  Timestamp deadline;
};

struct Clinic {
  std::size_t index = 0;
  protocol::ClinicId id;
  std::vector<std::size_t> pens;
  std::vector<std::size_t> sterilizers;
  std::size_t spare = 0;
  std::vector<Operator> operators;

  bool day_active = false;  ///< between the first power-up and the last shutdown of the day
  bool open = false;        ///< sessions may start
  bool closing = false;     ///< no new sessions; final loads, then shutdown
  Timestamp last_session_by;
  Timestamp next_open;  ///< for the evening shelf-life horizon
  bool spare_known = false;
  std::vector<PendingExpiry> pending_expiry;
};

struct World {
  explicit World(ScenarioConfig c);

  ScenarioConfig config;
  Rng rng;
  ViolationPlanner violations;
  EventQueue events;
  std::deque<Action> output;
  std::vector<Device> devices;
  std::vector<Clinic> clinics;
  Timestamp now;
  Timestamp last_emitted;
  Timestamp end;  ///< the run ends here (max() while following)
  bool ending = false;

  void at(Timestamp t, EventQueue::Handler handler) { events.schedule(std::max(t, now), std::move(handler)); }
  void emit(Action action);

  double speed_at(Timestamp t) const { return t < config.end ? config.speed : 1.0; }
  seconds heartbeat_at(Timestamp t) const { return t < config.end ? config.heartbeat : config.follow_heartbeat; }
  protocol::Date today() const { return protocol::utc_date(now); }
  /// "<device>@<YYYY-MM-DD>": one violation opportunity per device and day.
  std::string opportunity(const Device& device) const;
  Ms jitter(Ms lo, Ms hi) { return Ms{rng.uniform_int(lo.count(), hi.count())}; }
};

Timestamp midnight(protocol::Date day);

}  // namespace sterifleet::sim
