#include "sterifleet/notify/planner.hpp"

#include <algorithm>
#include <set>
#include <variant>

#include "sterifleet/crypto/random.hpp"

namespace sterifleet::notify {

namespace {

using engine::Transition;

std::string random_id() { return "ntf_" + crypto::random_hex(12); }

std::string alert_url(const NotifyConfig& config, const std::string& alert_id) {
  if (config.dashboard_url.empty()) return {};
  std::string base = config.dashboard_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/#/alerts/" + alert_id;
}

std::string kind_name(NoticeKind kind) { return std::string(to_string(kind)); }

}  // namespace

Planner::Planner(const NotifyConfig& config, IdSource new_id)
    : config_(config), new_id_(new_id ? std::move(new_id) : IdSource(random_id)) {}

void Planner::plan(const engine::AlertChange& change, const engine::Policy& policy, Timestamp now,
                   store::Commit& into) {
  const auto& alert = change.alert;
  switch (change.transition) {
    case Transition::opened:
    case Transition::reopened:
      if (alert.state() == engine::AlertState::open && !alert.silenced) firing(alert, policy, now, into);
      return;
    case Transition::acknowledged:
    case Transition::silenced:
      // Someone knows (or the device is in maintenance): no more repeats or escalations. Alertmanager
      // still holds the alert as active: its own silences are how its users quiet it.
      into.cancellations.push_back({alert.id, {kind_name(NoticeKind::repeat), kind_name(NoticeKind::escalation)}, {}});
      return;
    case Transition::resolved:
    case Transition::withdrawn:
      ended(alert, change.transition == Transition::resolved ? NoticeKind::resolved : NoticeKind::withdrawn, now, into);
      return;
    case Transition::occurred:
      return;
  }
}

void Planner::firing(const engine::Alert& alert, const engine::Policy& policy, Timestamp now, store::Commit& into) {
  for (const Route* route : routes_for(alert)) {
    const Receiver& receiver = *config_.receiver(route->receiver);
    if (is_alertmanager(receiver.name)) {
      // Alertmanager groups, waits and repeats on its own: it is sent the alert now and every minute.
      auto refresh = row(alert, NoticeKind::firing, receiver, *route, now, now);
      refresh.every = alertmanager_refresh;
      into.notifications.push_back(std::move(refresh));
    } else {
      into.notifications.push_back(row(alert, NoticeKind::firing, receiver, *route, now,
                                       route->release(alert.severity, now + route->group_wait)));
      const Seconds interval = route->repeat_interval.value_or(policy.repeat_interval(alert.severity));
      if (interval > Seconds::zero()) {
        auto repeat =
            row(alert, NoticeKind::repeat, receiver, *route, now, route->release(alert.severity, now + interval));
        repeat.every = interval;
        into.notifications.push_back(std::move(repeat));
      }
    }
    if (route->escalate_after) {
      const Receiver& to = *config_.receiver(route->escalate_to);
      into.notifications.push_back(row(alert, NoticeKind::escalation, to, *route, now,
                                       route->release(alert.severity, now + *route->escalate_after)));
    }
  }
}

void Planner::ended(const engine::Alert& alert, NoticeKind kind, Timestamp now, store::Commit& into) {
  store::OutboxCancel cancel{alert.id, {kind_name(NoticeKind::repeat), kind_name(NoticeKind::escalation)}, {}};
  for (const auto& r : config_.receivers) {
    // A refresh sent after the end would make Alertmanager fire it again.
    if (std::holds_alternative<AlertmanagerReceiver>(r.settings)) cancel.receivers.push_back(r.name);
  }
  into.cancellations.push_back(std::move(cancel));
  if (alert.silenced) return;  // its firing was never sent
  for (const Route* route : routes_for(alert)) {
    const Receiver& receiver = *config_.receiver(route->receiver);
    if (is_alertmanager(receiver.name)) {
      // Told whatever send_resolved says: it holds the alert as firing until told otherwise.
      auto end = row(alert, kind, receiver, *route, now, now);
      end.every = alertmanager_refresh;
      end.until = now + alertmanager_resolved_for;
      into.notifications.push_back(std::move(end));
    } else if (route->send_resolved) {
      into.notifications.push_back(
          row(alert, kind, receiver, *route, now, route->release(alert.severity, now + route->group_wait)));
    }
  }
}

std::vector<const Route*> Planner::routes_for(const engine::Alert& alert) const {
  std::vector<const Route*> out;
  std::set<std::string> reached;
  for (const auto& route : config_.routes) {
    if (!route.matches(alert)) continue;
    if (config_.receiver(route.receiver) && reached.insert(route.receiver).second) out.push_back(&route);
    if (!route.continue_matching) break;
  }
  return out;
}

store::OutboxRow Planner::row(const engine::Alert& alert, NoticeKind kind, const Receiver& receiver, const Route& route,
                              Timestamp now, Timestamp due) {
  Notice notice;
  notice.id = new_id_();
  notice.kind = kind;
  notice.receiver = receiver.name;
  notice.created_at = now;
  notice.alert = engine::to_json(alert);
  notice.alert_url = alert_url(config_, alert.id);
  notice.advice = std::string(advice(alert.rule));
  store::OutboxRow out;
  out.id = notice.id;
  out.alert_id = alert.id;
  out.clinic = alert.clinic.str();
  out.receiver = receiver.name;
  out.kind = kind_name(kind);
  out.route = route.name;
  out.created_at = now;
  out.due_at = due;
  out.notice = to_json(notice).dump();
  return out;
}

Notice Planner::checkpoint_notice(const Receiver& receiver, Timestamp now, const nlohmann::json& checkpoint) {
  Notice notice;
  notice.id = new_id_();
  notice.kind = NoticeKind::checkpoint;
  notice.receiver = receiver.name;
  notice.created_at = now;
  notice.alert = {{"id", ""},
                  {"clinic", ""},
                  {"rule", "sterifleet.audit_checkpoint"},
                  {"severity", "info"},
                  {"device", ""},
                  {"subject", ""},
                  {"state", "open"},
                  {"opened_at", protocol::format_timestamp(now)},
                  {"summary", "audit checkpoint of record " + std::to_string(checkpoint.value("seq", std::int64_t{0}))},
                  {"checkpoint", checkpoint},
                  {"checkpoint_line", checkpoint.dump()}};
  notice.advice = "Keep it: an auditor proves the audit trail against it (sterifleet audit verify --checkpoint).";
  return notice;
}

store::OutboxRow Planner::test_row(const Receiver& receiver, Timestamp now, const std::string& requested_by) {
  Notice notice;
  notice.id = new_id_();
  notice.kind = NoticeKind::test;
  notice.receiver = receiver.name;
  notice.created_at = now;
  notice.alert = {
      {"id", ""},
      {"clinic", ""},
      {"rule", "sterifleet.test"},
      {"severity", "info"},
      {"device", ""},
      {"subject", ""},
      {"state", "open"},
      {"opened_at", protocol::format_timestamp(now)},
      {"summary", "Test notification requested by " + requested_by + ": delivery to \"" + receiver.name + "\" works."}};
  notice.alert_url = config_.dashboard_url;
  notice.advice = "Nothing to do: this is a test.";
  store::OutboxRow out;
  out.id = notice.id;
  out.receiver = receiver.name;
  out.kind = kind_name(NoticeKind::test);
  out.created_at = now;
  out.due_at = now;
  out.notice = to_json(notice).dump();
  return out;
}

bool Planner::is_alertmanager(const std::string& name) const {
  const auto* r = config_.receiver(name);
  return r && std::holds_alternative<AlertmanagerReceiver>(r->settings);
}

}  // namespace sterifleet::notify
