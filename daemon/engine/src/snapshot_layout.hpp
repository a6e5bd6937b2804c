// What an engine snapshot holds: every field of every record, in order. This list IS the format
// (snapshot_archive.hpp encodes it): change it and `snapshot_format` must change too.
//
// Each describe() first binds all of its record's members with a structured binding, so a member
// added to a record and not listed here does not compile. The engine's private parts (the alert
// book's indexes, the sequence trackers) are reached through SnapshotFields, their friend.
#pragma once

#include "engine_impl.hpp"
#include "snapshot_archive.hpp"

namespace sterifleet::engine {

/// Friend of the classes whose state is private; only the snapshot code uses it.
struct SnapshotFields {
  using TrackerBoot = SequenceTracker::Boot;

  template <class A, class Tracker>
  static void sequence_tracker(A& a, Tracker& tracker) {
    auto& [boots] = tracker;
    a("boots", boots);
  }

  template <class A, class Book>
  static void alert_book(A& a, Book& book) {
    auto& [alerts, by_subject, active_by_device, current_count] = book;
    a("alerts", alerts);
    a("by_subject", by_subject);
    a("active_by_device", active_by_device);
    a("current_count", current_count);
  }

  /// Ids the book's indexes name that are not among its alerts (the engine would dereference them).
  static std::vector<std::string> dangling_alert_ids(const AlertBook& book) {
    std::vector<std::string> dangling;
    auto check = [&](const std::string& id) {
      if (!book.alerts_.contains(id)) dangling.push_back(id);
    };
    for (const auto& [key, ids] : book.by_subject_) std::for_each(ids.begin(), ids.end(), check);
    for (const auto& [device, ids] : book.active_by_device_) std::for_each(ids.begin(), ids.end(), check);
    return dangling;
  }
};

namespace snapshot_io {

#define STERIFLEET_ENUM_SIZE(Enum, Last) \
  template <>                            \
  struct EnumSize<Enum> : std::integral_constant<std::uint64_t, static_cast<std::uint64_t>(Enum::Last) + 1> {}

STERIFLEET_ENUM_SIZE(Hygiene, needs_reprocessing);
STERIFLEET_ENUM_SIZE(Presence, shutdown);
STERIFLEET_ENUM_SIZE(RuleId, clinic_mismatch);
STERIFLEET_ENUM_SIZE(Severity, critical);
STERIFLEET_ENUM_SIZE(ReprocessingLevel, high_level_disinfection);
STERIFLEET_ENUM_SIZE(protocol::DeviceKind, sterilizer);
STERIFLEET_ENUM_SIZE(protocol::TreatmentArea, body);
STERIFLEET_ENUM_SIZE(protocol::Method, chemical);
STERIFLEET_ENUM_SIZE(protocol::PassFail, fail);
STERIFLEET_ENUM_SIZE(protocol::BiReading, positive);
STERIFLEET_ENUM_SIZE(StepFact::Kind, prevac_load);

#undef STERIFLEET_ENUM_SIZE

// --- protocol bodies the engine keeps ---

template <class T>
constexpr bool is_listed = false;
template <class Enum>
constexpr bool is_listed<protocol::Listed<Enum>> = true;

template <class A, class S>
requires is_listed<std::remove_const_t<S>>
void describe(A& a, S& s) {
  auto& [known, unlisted] = s;
  a("known", known);
  a("unlisted", unlisted);
}

template <class A, Is<protocol::Cartridge> S>
void describe(A& a, S& s) {
  auto& [id, lot, expires, needles, max_strokes, max_runtime] = s;
  a("id", id);
  a("lot", lot);
  a("expires", expires);
  a("needles", needles);
  a("max_strokes", max_strokes);
  a("max_runtime", max_runtime);
}

template <class A, Is<protocol::SessionStart> S>
void describe(A& a, S& s) {
  auto& [session, cartridge, depth, speed, operator_id, patient, area] = s;
  a("session", session);
  a("cartridge", cartridge);
  a("depth", depth);
  a("speed", speed);
  a("operator", operator_id);
  a("patient", patient);
  a("area", area);
}

template <class A, Is<protocol::SessionEnd> S>
void describe(A& a, S& s) {
  auto& [session, strokes, runtime] = s;
  a("session", session);
  a("strokes", strokes);
  a("runtime", runtime);
}

template <class A, Is<protocol::Telemetry> S>
void describe(A& a, S& s) {
  auto& [battery, motor_runtime, motor_strokes, depth, speed, session] = s;
  a("battery", battery);
  a("motor_runtime", motor_runtime);
  a("motor_strokes", motor_strokes);
  a("depth", depth);
  a("speed", speed);
  a("session", session);
}

template <class A, Is<protocol::ChemicalExposure> S>
void describe(A& a, S& s) {
  auto& [agent, concentration] = s;
  a("agent", agent);
  a("concentration", concentration);
}

template <class A, Is<protocol::CycleComplete> S>
void describe(A& a, S& s) {
  auto& [cycle, method, wrapped, temperature, exposure, pressure, load, chemical_indicator, biological_indicator,
         operator_id, chemical] = s;
  a("cycle", cycle);
  a("method", method);
  a("wrapped", wrapped);
  a("temperature", temperature);
  a("exposure", exposure);
  a("pressure", pressure);
  a("load", load);
  a("chemical_indicator", chemical_indicator);
  a("biological_indicator", biological_indicator);
  a("operator", operator_id);
  a("chemical", chemical);
}

template <class A, Is<protocol::BiResult> S>
void describe(A& a, S& s) {
  auto& [cycle, result] = s;
  a("cycle", cycle);
  a("result", result);
}

template <class A, Is<protocol::Envelope> S>
void describe(A& a, S& s) {
  auto& [device, boot, seq, ts] = s;
  a("device", device);
  a("boot", boot);
  a("seq", seq);
  a("ts", ts);
}

// --- policy ---

template <class A, Is<RuleSettings> S>
void describe(A& a, S& s) {
  auto& [enabled, severity] = s;
  a("enabled", enabled);
  a("severity", severity);
}

template <class A, Is<ExposureRow> S>
void describe(A& a, S& s) {
  auto& [celsius, minimum] = s;
  a("celsius", celsius);
  a("minimum", minimum);
}

template <class A, Is<SteamTable> S>
void describe(A& a, S& s) {
  auto& [wrapped, unwrapped] = s;
  a("wrapped", wrapped);
  a("unwrapped", unwrapped);
}

template <class A, Is<ChemicalAgent> S>
void describe(A& a, S& s) {
  auto& [name, high_level, min_concentration_pct, min_temperature_c, min_contact] = s;
  a("name", name);
  a("high_level", high_level);
  a("min_concentration_pct", min_concentration_pct);
  a("min_temperature_c", min_temperature_c);
  a("min_contact", min_contact);
}

template <class A, Is<ReprocessingPolicy> S>
void describe(A& a, S& s) {
  auto& [steam_gravity, steam_prevac, dry_heat, agents, default_level, model_levels] = s;
  a("steam_gravity", steam_gravity);
  a("steam_prevac", steam_prevac);
  a("dry_heat", dry_heat);
  a("agents", agents);
  a("default_level", default_level);
  a("model_levels", model_levels);
}

template <class A, Is<Policy> S>
void describe(A& a, S& s) {
  auto& [rules, reprocessing, battery_threshold_pct, battery_clear_pct, service_interval_hours, heartbeat_pen,
         heartbeat_roller, heartbeat_sterilizer, shelf_life, depth_limit_mm, repeat_critical, repeat_warning,
         patient_ref_pattern] = s;
  a("rules", rules);
  a("reprocessing", reprocessing);
  a("battery_threshold_pct", battery_threshold_pct);
  a("battery_clear_pct", battery_clear_pct);
  a("service_interval_hours", service_interval_hours);
  a("heartbeat_pen", heartbeat_pen);
  a("heartbeat_roller", heartbeat_roller);
  a("heartbeat_sterilizer", heartbeat_sterilizer);
  a("shelf_life", shelf_life);
  a("depth_limit_mm", depth_limit_mm);
  a("repeat_critical", repeat_critical);
  a("repeat_warning", repeat_warning);
  a("patient_ref_pattern", patient_ref_pattern);
}

// --- devices ---

template <class A, Is<SeqRange> S>
void describe(A& a, S& s) {
  auto& [first, last] = s;
  a("first", first);
  a("last", last);
}

template <class A, Is<SnapshotFields::TrackerBoot> S>
void describe(A& a, S& s) {
  auto& [number, high, missing] = s;
  a("number", number);
  a("high", high);
  a("missing", missing);
}

template <class A, Is<SequenceTracker> S>
void describe(A& a, S& s) {
  SnapshotFields::sequence_tracker(a, s);
}

template <class A, Is<SessionRecord> S>
void describe(A& a, S& s) {
  auto& [id, key, started, ended, start, end, clearance, patient_drift] = s;
  a("id", id);
  a("key", key);
  a("started", started);
  a("ended", ended);
  a("start", start);
  a("end", end);
  a("clearance", clearance);
  a("patient_drift", patient_drift);
}

template <class A, Is<ReprocessingFact> S>
void describe(A& a, S& s) {
  auto& [ts, cycle_key, sufficient, recalled_at] = s;
  a("ts", ts);
  a("cycle_key", cycle_key);
  a("sufficient", sufficient);
  a("recalled_at", recalled_at);
}

template <class A, Is<CartridgeChange> S>
void describe(A& a, S& s) {
  auto& [ts, cartridge, removed] = s;
  a("ts", ts);
  a("cartridge", cartridge);
  a("removed", removed);
}

template <class A, Is<Telemetrics> S>
void describe(A& a, S& s) {
  auto& [last, at] = s;
  a("last", last);
  a("at", at);
}

template <class A, Is<DriftRecord> S>
void describe(A& a, S& s) {
  auto& [first, key, type, value, detail, messages] = s;
  a("first", first);
  a("key", key);
  a("type", type);
  a("value", value);
  a("detail", detail);
  a("messages", messages);
}

template <class A, Is<StepFact> S>
void describe(A& a, S& s) {
  auto& [kind, ts, boot, seq, session, battery_pct, motor_runtime_s, depth_mm, limit_mm, label, passed] = s;
  a("kind", kind);
  a("ts", ts);
  a("boot", boot);
  a("seq", seq);
  a("session", session);
  a("battery_pct", battery_pct);
  a("motor_runtime_s", motor_runtime_s);
  a("depth_mm", depth_mm);
  a("limit_mm", limit_mm);
  a("label", label);
  a("passed", passed);
}

template <class A, Is<StepState> S>
void describe(A& a, S& s) {
  auto& [since, battery_low, service_due, session, session_limit_mm, session_area, depth, day, tested_today,
         loaded_today, test_missing, test_failed] = s;
  a("since", since);
  a("battery_low", battery_low);
  a("service_due", service_due);
  a("session", session);
  a("session_limit_mm", session_limit_mm);
  a("session_area", session_area);
  a("depth", depth);
  a("day", day);
  a("tested_today", tested_today);
  a("loaded_today", loaded_today);
  a("test_missing", test_missing);
  a("test_failed", test_failed);
}

template <class A, Is<MaintenanceWindow> S>
void describe(A& a, S& s) {
  auto& [from, to, reason] = s;
  a("from", from);
  a("to", to);
  a("reason", reason);
}

template <class A, Is<DeviceRecord> S>
void describe(A& a, S& s) {
  auto& [clinic, id, kind, registered, model, firmware, declared_heartbeat, presence, presence_changed, last_received,
         last_seen, locked, maintenance, sequence, drift, rejected, hygiene, sessions, session_index, reprocessings,
         cartridge_changes, mounted, telemetry, compacted_before, compacted_last_end, steps, step_base, cycles] = s;
  a("clinic", clinic);
  a("id", id);
  a("kind", kind);
  a("registered", registered);
  a("model", model);
  a("firmware", firmware);
  a("declared_heartbeat", declared_heartbeat);
  a("presence", presence);
  a("presence_changed", presence_changed);
  a("last_received", last_received);
  a("last_seen", last_seen);
  a("locked", locked);
  a("maintenance", maintenance);
  a("sequence", sequence);
  a("drift", drift);
  a("rejected", rejected);
  a("hygiene", hygiene);
  a("sessions", sessions);
  a("session_index", session_index);
  a("reprocessings", reprocessings);
  a("cartridge_changes", cartridge_changes);
  a("mounted", mounted);
  a("telemetry", telemetry);
  a("compacted_before", compacted_before);
  a("compacted_last_end", compacted_last_end);
  a("steps", steps);
  a("step_base", step_base);
  a("cycles", cycles);
}

// --- cartridges, cycles, clinics ---

template <class A, Is<CartridgeUse> S>
void describe(A& a, S& s) {
  auto& [ts, device, session, key] = s;
  a("ts", ts);
  a("device", device);
  a("session", session);
  a("key", key);
}

template <class A, Is<CartridgeRecord> S>
void describe(A& a, S& s) {
  auto& [clinic, spec, uses] = s;
  a("clinic", clinic);
  a("spec", spec);
  a("uses", uses);
}

template <class A, Is<RetiredCartridge> S>
void describe(A& a, S& s) {
  auto& [first_use, expires] = s;
  a("first_use", first_use);
  a("expires", expires);
}

template <class A, Is<ClinicRecord> S>
void describe(A& a, S& s) {
  auto& [clock, cartridges, deadlines, retired_cartridges] = s;
  a("clock", clock);
  a("cartridges", cartridges);
  a("deadlines", deadlines);
  a("retired_cartridges", retired_cartridges);
}

template <class A, Is<BiRecord> S>
void describe(A& a, S& s) {
  auto& [ts, result, key] = s;
  a("ts", ts);
  a("result", result);
  a("key", key);
}

template <class A, Is<CycleAssessment> S>
void describe(A& a, S& s) {
  auto& [parameters_sufficient, indicator_passed, high_level_only, reasons] = s;
  a("parameters_sufficient", parameters_sufficient);
  a("indicator_passed", indicator_passed);
  a("high_level_only", high_level_only);
  a("reasons", reasons);
}

template <class A, Is<CycleRecord> S>
void describe(A& a, S& s) {
  auto& [clinic, sterilizer, key, message, ts, cycle, assessment, bi, recalled_at, recalled_by, entered_by] = s;
  a("clinic", clinic);
  a("sterilizer", sterilizer);
  a("key", key);
  a("message", message);
  a("ts", ts);
  a("cycle", cycle);
  a("assessment", assessment);
  a("bi", bi);
  a("recalled_at", recalled_at);
  a("recalled_by", recalled_by);
  a("entered_by", entered_by);
}

template <class A, Is<OrphanEnd> S>
void describe(A& a, S& s) {
  auto& [ts, end] = s;
  a("ts", ts);
  a("end", end);
}

// --- alerts ---

template <class A, Is<Episode> S>
void describe(A& a, S& s) {
  auto& [trigger, device, opened_at, occurrences, summary, cleared_at, clearance] = s;
  a("trigger", trigger);
  a("device", device);
  a("opened_at", opened_at);
  a("occurrences", occurrences);
  a("summary", summary);
  a("cleared_at", cleared_at);
  a("clearance", clearance);
}

template <class A, Is<Acknowledgement> S>
void describe(A& a, S& s) {
  auto& [by, at, comment] = s;
  a("by", by);
  a("at", at);
  a("comment", comment);
}

template <class A, Is<ManualResolution> S>
void describe(A& a, S& s) {
  auto& [by, at, reason, occurrences] = s;
  a("by", by);
  a("at", at);
  a("reason", reason);
  a("occurrences", occurrences);
}

template <class A, Is<Alert> S>
void describe(A& a, S& s) {
  auto& [id, clinic, rule, severity, subject, episode, ack, manual, silenced, withdrawn] = s;
  a("id", id);
  a("clinic", clinic);
  a("rule", rule);
  a("severity", severity);
  a("subject", subject);
  a("episode", episode);
  a("ack", ack);
  a("manual", manual);
  a("silenced", silenced);
  a("withdrawn", withdrawn);
}

template <class A, Is<AlertBook> S>
void describe(A& a, S& s) {
  SnapshotFields::alert_book(a, s);
}

// --- the engine ---

/// `Impl` is Engine::Impl (a private name, hence deduced rather than written).
template <class A, class Impl>
void describe_engine(A& a, Impl& impl) {
  auto& [policy, initial_policy, started_at, in_maintenance, devices, clinics, cycles, orphan_bis, orphan_ends, alerts,
         changed, all_changed, patient_refs] = impl;
  (void)in_maintenance;  // a function of the devices, rebuilt with the engine
  (void)patient_refs;    // the policy's pattern compiled, rebuilt when first needed
  // What a view must render again is the reader's business, not state: a restored engine has it all.
  (void)changed;
  (void)all_changed;
  a("policy", policy);
  a("initial_policy", initial_policy);
  a("started_at", started_at);
  a("devices", devices);
  a("clinics", clinics);
  a("cycles", cycles);
  a("orphan_bis", orphan_bis);
  a("orphan_ends", orphan_ends);
  a("alerts", alerts);
}

}  // namespace snapshot_io

}  // namespace sterifleet::engine
