#include "alert_book.hpp"

#include <algorithm>

namespace sterifleet::engine {

std::string AlertBook::key_of(const ClinicId& clinic, RuleId rule, const std::string& subject) {
  std::string key = clinic.str();
  key += '\x1f';
  key += to_string(rule);
  key += '\x1f';
  key += subject;
  return key;
}

Alert* AlertBook::find(const std::string& id) {
  const auto it = alerts_.find(id);
  return it == alerts_.end() ? nullptr : &it->second;
}

const Alert* AlertBook::find(const std::string& id) const {
  const auto it = alerts_.find(id);
  return it == alerts_.end() ? nullptr : &it->second;
}

const std::set<std::string>* AlertBook::active_for(const DeviceId& device) const {
  const auto it = active_by_device_.find(device);
  return it == active_by_device_.end() || it->second.empty() ? nullptr : &it->second;
}

void AlertBook::for_each(const std::function<void(const Alert&)>& visit) const {
  for (const auto& [id, alert] : alerts_) visit(alert);
}

Alert* AlertBook::current(const std::string& key) {
  const auto it = by_subject_.find(key);
  if (it == by_subject_.end()) return nullptr;
  for (auto id = it->second.rbegin(); id != it->second.rend(); ++id) {
    Alert& alert = alerts_.at(*id);
    if (!alert.withdrawn) return alert.episode.cleared_at ? nullptr : &alert;
  }
  return nullptr;
}

bool AlertBook::device_has_current(const DeviceId& device, RuleId rule) const {
  const auto it = current_count_.find(device);
  return it != current_count_.end() && it->second[static_cast<std::size_t>(rule)] > 0;
}

void AlertBook::track_current(const Alert& alert, bool was_current) {
  const bool now_current = is_current(alert);
  if (now_current == was_current) return;
  auto& count = current_count_[alert.episode.device][static_cast<std::size_t>(alert.rule)];
  count = static_cast<std::uint16_t>(now_current ? count + 1 : count - 1);
}

bool AlertBook::has_current(const ClinicId& clinic, RuleId rule, const std::string& subject) const {
  return const_cast<AlertBook*>(this)->current(key_of(clinic, rule, subject)) != nullptr;
}

void AlertBook::emit(Alert& alert, Transition transition, AlertState before, const Context& ctx) {
  auto& active = active_by_device_[alert.episode.device];
  if (alert.active()) {
    active.insert(alert.id);
  } else {
    active.erase(alert.id);
  }
  ctx.out.alerts.push_back({transition, alert});
  AuditRecord record;
  record.at = ctx.now;
  record.actor = transition == Transition::acknowledged               ? alert.ack->by
                 : transition == Transition::resolved && alert.manual ? alert.manual->by
                                                                      : Actor{"engine"};
  record.entity = "alert:" + alert.id;
  record.action = std::string(to_string(transition));
  record.before = {{"state", to_string(before)}};
  record.after = to_json(alert);
  record.cause = alert.episode.trigger;
  record.clinic = alert.clinic.str();
  ctx.out.audit.push_back(std::move(record));
}

Alert& AlertBook::create(const ClinicId& clinic, RuleId rule, const std::string& subject, Episode episode,
                         const Context& ctx) {
  const std::string id = alert_id(clinic, rule, subject, episode.trigger);
  Alert& alert = alerts_[id];
  alert.id = id;
  alert.clinic = clinic;
  alert.rule = rule;
  alert.severity = ctx.policy.rule(rule).severity;
  alert.subject = subject;
  alert.silenced = ctx.in_maintenance(episode.device, episode.opened_at);
  alert.episode = std::move(episode);
  by_subject_[key_of(clinic, rule, subject)].push_back(id);
  track_current(alert, false);
  return alert;
}

void AlertBook::reconcile(const ClinicId& clinic, RuleId rule, const std::string& subject,
                          std::vector<Episode> episodes, const Context& ctx, std::optional<Timestamp> settled_before) {
  if (!ctx.policy.rule(rule).enabled) return;
  const std::string key = key_of(clinic, rule, subject);
  std::vector<std::string> seen;
  seen.reserve(episodes.size());
  for (auto& episode : episodes) {
    const std::string id = alert_id(clinic, rule, subject, episode.trigger);
    seen.push_back(id);
    Alert* alert = find(id);
    if (!alert) {
      Alert& created = create(clinic, rule, subject, std::move(episode), ctx);
      emit(created, Transition::opened, AlertState::open, ctx);
      if (created.episode.cleared_at) emit(created, Transition::resolved, AlertState::open, ctx);
      continue;
    }
    if (alert->episode == episode && !alert->withdrawn) continue;
    const AlertState before = alert->state();
    const bool was_current = is_current(*alert);
    const Episode old = std::exchange(alert->episode, std::move(episode));
    if (alert->withdrawn) {
      alert->withdrawn = false;
      track_current(*alert, was_current);
      emit(*alert, Transition::opened, before, ctx);
      continue;
    }
    track_current(*alert, was_current);
    if (alert->episode.occurrences > old.occurrences) {
      if (alert->manual && alert->episode.occurrences > alert->manual->occurrences) alert->manual.reset();
      emit(*alert, before == AlertState::resolved && alert->active() ? Transition::reopened : Transition::occurred,
           before, ctx);
    } else if (!old.cleared_at && alert->episode.cleared_at) {
      if (before != AlertState::resolved) emit(*alert, Transition::resolved, before, ctx);
    } else if (old.cleared_at && !alert->episode.cleared_at && alert->active()) {
      emit(*alert, Transition::reopened, before, ctx);
    }
  }
  auto& ids = by_subject_[key];
  for (const auto& id : ids) {
    if (std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
    Alert& alert = alerts_.at(id);
    if (alert.withdrawn || (settled_before && alert.episode.opened_at < *settled_before)) continue;
    const AlertState before = alert.state();
    const bool was_current = is_current(alert);
    alert.withdrawn = true;
    track_current(alert, was_current);
    emit(alert, Transition::withdrawn, before, ctx);
  }
}

void AlertBook::open(const ClinicId& clinic, RuleId rule, const std::string& subject, Episode episode,
                     const Context& ctx) {
  if (!ctx.policy.rule(rule).enabled) return;
  if (Alert* alert = current(key_of(clinic, rule, subject))) {
    const AlertState before = alert->state();
    ++alert->episode.occurrences;
    if (alert->manual && alert->episode.occurrences > alert->manual->occurrences) alert->manual.reset();
    emit(*alert, before == AlertState::resolved ? Transition::reopened : Transition::occurred, before, ctx);
    return;
  }
  // The same trigger again after its alert cleared (two identity mismatches in one millisecond): that
  // alert recurs. Creating a second one under its id would list the id twice in the book's indexes.
  if (Alert* same = find(alert_id(clinic, rule, subject, episode.trigger))) {
    const AlertState before = same->state();
    const bool was_current = is_current(*same);
    same->withdrawn = false;
    same->episode.cleared_at.reset();
    same->episode.clearance.clear();
    ++same->episode.occurrences;
    if (same->manual && same->episode.occurrences > same->manual->occurrences) same->manual.reset();
    track_current(*same, was_current);
    auto& ids = by_subject_[key_of(clinic, rule, subject)];  // current() looks for it last
    ids.erase(std::find(ids.begin(), ids.end(), same->id));
    ids.push_back(same->id);
    emit(*same, Transition::reopened, before, ctx);
    return;
  }
  Alert& alert = create(clinic, rule, subject, std::move(episode), ctx);
  emit(alert, Transition::opened, AlertState::open, ctx);
}

void AlertBook::clear(const ClinicId& clinic, RuleId rule, const std::string& subject, Timestamp at,
                      std::string clearance, const Context& ctx) {
  Alert* alert = current(key_of(clinic, rule, subject));
  if (!alert) return;
  const AlertState before = alert->state();
  alert->episode.cleared_at = at;
  alert->episode.clearance = std::move(clearance);
  track_current(*alert, true);
  if (before == AlertState::resolved) {  // already closed by a person; record the condition's end quietly
    return;
  }
  emit(*alert, Transition::resolved, before, ctx);
}

void AlertBook::acknowledge(Alert& alert, Acknowledgement ack, const Context& ctx) {
  const AlertState before = alert.state();
  alert.ack = std::move(ack);
  emit(alert, Transition::acknowledged, before, ctx);
}

void AlertBook::resolve(Alert& alert, ManualResolution resolution, const Context& ctx) {
  const AlertState before = alert.state();
  resolution.occurrences = alert.episode.occurrences;
  alert.manual = std::move(resolution);
  emit(alert, Transition::resolved, before, ctx);
}

bool AlertBook::any_active(const ClinicId& clinic, RuleId rule, const std::string& subject) const {
  const auto it = by_subject_.find(key_of(clinic, rule, subject));
  if (it == by_subject_.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(), [this](const auto& id) { return alerts_.at(id).active(); });
}

void AlertBook::compact(Timestamp cut) {
  for (auto subject = by_subject_.begin(); subject != by_subject_.end();) {
    auto& ids = subject->second;
    std::erase_if(ids, [&](const std::string& id) {
      const Alert& alert = alerts_.at(id);
      if (alert.active() || alert.episode.opened_at >= cut) return false;
      alerts_.erase(id);
      return true;
    });
    subject = ids.empty() ? by_subject_.erase(subject) : std::next(subject);
  }
}

}  // namespace sterifleet::engine
