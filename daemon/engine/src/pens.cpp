// Pens: sessions, cartridges and telemetry.
#include <algorithm>

#include "cartridge_rules.hpp"
#include "engine_impl.hpp"
#include "pen_hygiene.hpp"

namespace sterifleet::engine {

namespace {

using protocol::format_timestamp;

std::string session_subject(const DeviceId& pen, const SessionId& session) { return pen.str() + "/" + session.str(); }

}  // namespace

const PatientRefPattern& Engine::Impl::patient_ref_pattern() {
  if (!patient_refs || patient_refs->text() != policy.patient_ref_pattern)
    patient_refs.emplace(policy.patient_ref_pattern);
  return *patient_refs;
}

std::optional<protocol::Drift> Engine::Impl::patient_ref_drift(const protocol::SessionStart& start,
                                                               const std::vector<protocol::Drift>& reported) {
  static constexpr std::string_view path = "/body/patient";
  if (patient_ref_pattern().conforms(start.patient.str())) return std::nullopt;
  if (std::any_of(reported.begin(), reported.end(), [](const protocol::Drift& d) { return d.path == path; })) {
    return std::nullopt;
  }
  // The value is not repeated: a reference off the pattern may be a name or a date of birth.
  return protocol::Drift{std::string(path),
                         "a value of " + std::to_string(start.patient.str().size()) + " bytes, not repeated here",
                         "expected a pseudonymous reference matching the policy's [patients] ref_pattern (it may "
                         "identify a person)"};
}

void Engine::Impl::on_session_start(DeviceRecord& pen, const protocol::SessionStart& start,
                                    const protocol::Envelope& env, Run& run) {
  const std::string key = message_key(env);
  SessionRecord record{start.session, key, env.ts, std::nullopt, start, std::nullopt, {}, false};
  record.patient_drift = !patient_ref_pattern().conforms(start.patient.str());
  const std::string subject = session_subject(pen.id, start.session);
  const auto orphan = orphan_ends.extract(subject);
  if (orphan) {
    record.ended = orphan.mapped().ts;
    record.end = orphan.mapped().end;
  }
  // Sessions stay in start order even when a replay fills in an older one.
  const auto at = std::upper_bound(pen.sessions.begin(), pen.sessions.end(), env.ts,
                                   [](Timestamp t, const SessionRecord& s) { return t < s.started; });
  const auto index = static_cast<std::size_t>(at - pen.sessions.begin());
  pen.sessions.insert(at, std::move(record));
  for (auto& [id, i] : pen.session_index) {
    if (i >= index) ++i;
  }
  pen.session_index[start.session] = index;
  const TouchedSession touched{start.session, run.out.audit.size()};
  audit(run, pen.clinic, env.ts, "device:" + pen.id.str(), "session:" + subject, "started", nullptr,
        {{"cartridge", start.cartridge.id.str()},
         {"operator", start.operator_id.str()},
         {"patient", start.patient.str()},
         {"area", protocol::to_string(start.area)},
         {"depth_mm", start.depth.value}},
        key);
  if (orphan) audit_end(pen, start.session, orphan.mapped().ts, orphan.mapped().end, key, run);

  auto& uses = cartridge_record(pen.clinic, start.cartridge).uses;
  const auto use_at =
      std::upper_bound(uses.begin(), uses.end(), env.ts, [](Timestamp t, const CartridgeUse& u) { return t < u.ts; });
  uses.insert(use_at, CartridgeUse{env.ts, pen.id, start.session, key});
  on_cartridge_change(pen, start.cartridge.id, false, env, run);

  StepFact fact{StepFact::Kind::session_start, env.ts, env.boot, env.seq, start.session};
  fact.depth_mm = start.depth.value;
  fact.limit_mm = policy.depth_limit(start.area);
  fact.label = std::string(protocol::to_string(start.area));
  add_step(pen, std::move(fact), run);
  rederive_pen(pen, run, key, touched);
}

void Engine::Impl::on_session_end(DeviceRecord& pen, const protocol::SessionEnd& end, const protocol::Envelope& env,
                                  Run& run) {
  const Timestamp ts = env.ts;
  const std::string subject = session_subject(pen.id, end.session);
  add_step(pen, {StepFact::Kind::session_end, ts, env.boot, env.seq, end.session}, run);
  const auto found = pen.session_index.find(end.session);
  if (found == pen.session_index.end()) {
    orphan_ends[subject] = OrphanEnd{ts, end};
    // Its start was refused or is late: the pen was in use all the same, until now.
    rederive_pen(pen, run, message_key(env));
    return;
  }
  SessionRecord& session = pen.sessions[found->second];
  session.ended = ts;
  session.end = end;
  const TouchedSession touched{end.session, run.out.audit.size()};
  audit_end(pen, end.session, ts, end, session.key, run);
  rederive_cartridge(pen.clinic, session.start.cartridge.id, run);
  rederive_pen(pen, run, session.key, touched);
}

void Engine::Impl::audit_end(const DeviceRecord& pen, const SessionId& session, Timestamp ts,
                             const protocol::SessionEnd& end, const std::string& cause, Run& run) {
  audit(run, pen.clinic, ts, "device:" + pen.id.str(), "session:" + session_subject(pen.id, session), "ended", nullptr,
        {{"strokes", end.strokes}, {"runtime_s", end.runtime.count()}}, cause);
}

void Engine::Impl::on_cartridge_change(DeviceRecord& pen, const protocol::CartridgeId& cartridge, bool removed,
                                       const protocol::Envelope& env, Run& run) {
  // By device time: a late change (a replayed message) may end an earlier cartridge's stay on the pen.
  auto& changes = pen.cartridge_changes;
  const auto at = std::upper_bound(changes.begin(), changes.end(), env.ts,
                                   [](Timestamp t, const CartridgeChange& c) { return t < c.ts; });
  std::optional<CartridgeId> before;
  if (at != changes.begin() && !std::prev(at)->removed) before = std::prev(at)->cartridge;
  const auto previous = pen.mounted;
  changes.insert(at, {env.ts, cartridge, removed});
  pen.mounted = changes.back().removed ? std::nullopt : std::optional{changes.back().cartridge};
  if (previous && *previous != cartridge) rederive_cartridge(pen.clinic, *previous, run);
  if (before && *before != cartridge && before != previous) rederive_cartridge(pen.clinic, *before, run);
  rederive_cartridge(pen.clinic, cartridge, run);
}

void Engine::Impl::rederive_cartridge(const ClinicId& clinic_id, const protocol::CartridgeId& id, Run& run) {
  const auto& registry = clinic(clinic_id).cartridges;
  const auto found = registry.find(id);
  if (found == registry.end() || found->second.uses.empty()) return;
  auto episodes = derive_cartridge(
      found->second,
      [this](const DeviceId& pen) -> const std::vector<CartridgeChange>* {
        const DeviceRecord* dev = find_device(pen);
        return dev ? &dev->cartridge_changes : nullptr;
      },
      [this](const DeviceId& pen, const SessionId& session) -> const SessionRecord* {
        const DeviceRecord* dev = find_device(pen);
        if (!dev) return nullptr;
        const auto it = dev->session_index.find(session);
        return it == dev->session_index.end() ? nullptr : &dev->sessions[it->second];
      });
  const auto ctx = context(run);
  alerts.reconcile(clinic_id, RuleId::cartridge_reused, id.str(), std::move(episodes.reused), ctx);
  alerts.reconcile(clinic_id, RuleId::cartridge_expired, id.str(), std::move(episodes.expired), ctx);
  alerts.reconcile(clinic_id, RuleId::cartridge_overused, id.str(), std::move(episodes.overused), ctx);
}

std::vector<Timestamp> Engine::Impl::unmatched_ends(const DeviceRecord& pen) const {
  std::vector<Timestamp> out;
  const std::string prefix = pen.id.str() + "/";
  for (const auto& [subject, orphan] : orphan_ends) {
    if (subject.starts_with(prefix)) out.push_back(orphan.ts);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Engine::Impl::rederive_pen(DeviceRecord& pen, Run& run, const std::string& cause,
                                std::optional<TouchedSession> touched) {
  ClinicRecord& c = clinic(pen.clinic);
  auto derived = derive_hygiene(pen, unmatched_ends(pen), c.clock, policy.shelf_life);
  const auto ctx = context(run);
  alerts.reconcile(pen.clinic, RuleId::used_without_reprocessing, pen.id.str(),
                   std::move(derived.used_without_reprocessing), ctx, pen.compacted_before);
  alerts.reconcile(pen.clinic, RuleId::sterility_expired, pen.id.str(), std::move(derived.sterility_expired), ctx,
                   pen.compacted_before);
  for (std::size_t i = 0; i < pen.sessions.size(); ++i) {
    auto& session = pen.sessions[i];
    if (touched && session.id == touched->id) {
      // The clearance is part of what the start (or end) left stored, derived only now.
      run.out.audit[touched->audit_record].after["clearance"] = derived.clearance[i];
    } else if (session.clearance != derived.clearance[i]) {
      // A late reprocessing, a recall or shelf life changed what made an earlier session legal.
      audit(run, pen.clinic, c.clock, "engine", "session:" + session_subject(pen.id, session.id), "clearance",
            {{"clearance", session.clearance}}, {{"clearance", derived.clearance[i]}}, cause);
    } else {
      continue;
    }
    session.clearance = std::move(derived.clearance[i]);
    run.out.sessions.push_back({pen.clinic, pen.id, session});
  }
  if (derived.next_deadline) c.deadlines.emplace(*derived.next_deadline, pen.id);
  if (derived.state != pen.hygiene) {
    audit(run, pen.clinic, c.clock, "engine", "device:" + pen.id.str(), "hygiene",
          {{"hygiene", to_string(pen.hygiene)}}, {{"hygiene", to_string(derived.state)}}, cause);
    pen.hygiene = derived.state;
  }
}

void Engine::Impl::on_telemetry(DeviceRecord& pen, const protocol::Telemetry& t, const protocol::Envelope& env,
                                Run& run) {
  if (!pen.telemetry || env.ts >= pen.telemetry->at) pen.telemetry = Telemetrics{t, env.ts};
  StepFact fact{StepFact::Kind::telemetry, env.ts, env.boot, env.seq, t.session};
  fact.battery_pct = t.battery.value;
  fact.motor_runtime_s = t.motor_runtime.count();
  fact.depth_mm = t.depth.value;
  add_step(pen, std::move(fact), run);
}

}  // namespace sterifleet::engine
