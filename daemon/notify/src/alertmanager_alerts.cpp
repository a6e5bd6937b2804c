// Rendering notices as Alertmanager's postableAlerts (api/v2/openapi.yaml: labels required; annotations,
// startsAt, endsAt, generatorURL optional). Alertmanager keys an alert by its label set, so the labels
// must stay the same over an alert's life: only what identifies it goes there, the rest in annotations.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "sterifleet/notify/alertmanager_sender.hpp"

namespace sterifleet::notify {

namespace {

using nlohmann::json;

std::string text(const json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::optional<Timestamp> time_at(const json& object, const char* key) {
  const auto value = text(object, key);
  return value.empty() ? std::nullopt : protocol::parse_timestamp(value);
}

// Prometheus treats a label with an empty value as no label; leaving it out keeps the fingerprint the
// same whichever way a client writes "none" (a clinic-wide alert has no device).
void put_if_set(json& set, const char* key, const std::string& value) {
  if (!value.empty()) set[key] = value;
}

bool is_alerting_kind(NoticeKind kind) {
  return kind == NoticeKind::firing || kind == NoticeKind::repeat || kind == NoticeKind::escalation;
}

// A repeat decided just before the alert resolved still carries the state it saw; the state wins, so a
// stale notice never re-opens an alert in Alertmanager.
bool is_active(const Notice& notice) {
  const auto state = text(notice.alert, "state");
  return is_alerting_kind(notice.kind) && state != "resolved" && state != "withdrawn";
}

// When a resolved or withdrawn alert ended: a person's resolution, else the condition clearing, else the
// moment the notice was decided (a withdrawal carries neither).
Timestamp ended_at(const Notice& notice) {
  if (const auto& resolution = notice.alert.value("resolution", json()); resolution.is_object()) {
    if (const auto at = time_at(resolution, "at")) return *at;
  }
  if (const auto cleared = time_at(notice.alert, "cleared_at")) return *cleared;
  return notice.created_at;
}

json test_alert(const Notice& notice, const Delivery& delivery, Timestamp now) {
  json labels{{"alertname", alertmanager_test_alertname}, {"severity", "info"}};
  put_if_set(labels, "clinic", delivery.clinic.empty() ? notice.clinic() : delivery.clinic);
  json annotations{{"summary", "A test notice from sterifleet: nothing is wrong."}};
  put_if_set(annotations, "advice", notice.advice);
  json out{{"labels", std::move(labels)},
           {"annotations", std::move(annotations)},
           {"startsAt", protocol::format_timestamp(std::min(notice.created_at, now))},
           {"endsAt", protocol::format_timestamp(now + alertmanager_active_horizon)}};
  if (!notice.alert_url.empty()) out["generatorURL"] = notice.alert_url;
  return out;
}

json alert_of(const Notice& notice, const Delivery& delivery, Timestamp now) {
  const auto& alert = notice.alert;
  const auto rule = text(alert, "rule");
  const auto opened = time_at(alert, "opened_at");
  if (rule.empty() || text(alert, "id").empty() || !opened) {
    throw std::logic_error("notice " + notice.id + " carries no alert with an id, a rule and an opened_at");
  }
  json labels{{"alertname", rule}};
  put_if_set(labels, "clinic", text(alert, "clinic").empty() ? delivery.clinic : text(alert, "clinic"));
  put_if_set(labels, "device", text(alert, "device"));
  put_if_set(labels, "severity", text(alert, "severity"));
  put_if_set(labels, "alert_id", text(alert, "id"));

  json annotations = json::object();
  put_if_set(annotations, "summary", text(alert, "summary"));
  put_if_set(annotations, "advice", notice.advice);
  put_if_set(annotations, "subject", text(alert, "subject"));
  if (notice.kind == NoticeKind::withdrawn || text(alert, "state") == "withdrawn") annotations["withdrawn"] = "true";

  // Alertmanager refuses an alert that ends before it starts, and one starting in the future (our clock
  // behind the alert's) would never show as firing: both times are kept within [.., now].
  const Timestamp starts = std::min(*opened, now);
  const Timestamp ends =
      is_active(notice) ? now + alertmanager_active_horizon : std::clamp(ended_at(notice), starts, now);
  json out{{"labels", std::move(labels)},
           {"annotations", std::move(annotations)},
           {"startsAt", protocol::format_timestamp(starts)},
           {"endsAt", protocol::format_timestamp(ends)}};
  if (!notice.alert_url.empty()) out["generatorURL"] = notice.alert_url;
  return out;
}

}  // namespace

nlohmann::json postable_alerts(const Delivery& delivery, Timestamp now) {
  json alerts = json::array();
  for (const auto& notice : delivery.notices) {
    alerts.push_back(notice.kind == NoticeKind::test ? test_alert(notice, delivery, now)
                                                     : alert_of(notice, delivery, now));
  }
  return alerts;
}

}  // namespace sterifleet::notify
