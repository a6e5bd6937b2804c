// The postableAlerts a delivery becomes: which labels identify an alert, what goes in annotations, and
// when each kind of notice says the alert ends. No Alertmanager here (alertmanager_integration_test.cpp).
#include "sterifleet/notify/alertmanager_sender.hpp"

#include <gtest/gtest.h>

namespace sterifleet::notify {
namespace {

using nlohmann::json;

Timestamp at(const char* text) { return *protocol::parse_timestamp(text); }

const Timestamp now = at("2026-11-24T10:00:00.000Z");

// An alert as engine::to_json writes it, open since 09:15.
json open_alert() {
  return {{"id", "alr_1"},
          {"clinic", "C01"},
          {"rule", "device.used_without_reprocessing"},
          {"severity", "critical"},
          {"subject", "Pen P-7"},
          {"device", "P-7"},
          {"state", "open"},
          {"trigger", "session s9"},
          {"opened_at", "2026-11-24T09:15:02.120Z"},
          {"occurrences", 1},
          {"summary", "Pen P-7 was used again without being reprocessed"},
          {"cleared_at", nullptr},
          {"clearance", ""},
          {"silenced", false},
          {"ack", nullptr},
          {"resolution", nullptr}};
}

Notice notice(NoticeKind kind, json alert = open_alert()) {
  Notice n;
  n.id = "ntf_1";
  n.kind = kind;
  n.receiver = "am";
  n.created_at = at("2026-11-24T09:59:00.000Z");
  n.alert = std::move(alert);
  n.alert_url = "https://sterifleet.example/#/alerts/alr_1";
  n.advice = "Take the pen out of use.";
  return n;
}

json render(const Notice& n) {
  const auto alerts = postable_alerts(make_delivery({n}), now);
  EXPECT_EQ(alerts.size(), 1u);
  return alerts.at(0);
}

TEST(AlertmanagerAlerts, LabelsIdentifyTheAlertByRuleClinicDeviceSeverityAndId) {
  EXPECT_EQ(render(notice(NoticeKind::firing))["labels"], (json{{"alertname", "device.used_without_reprocessing"},
                                                                {"clinic", "C01"},
                                                                {"device", "P-7"},
                                                                {"severity", "critical"},
                                                                {"alert_id", "alr_1"}}));
}

TEST(AlertmanagerAlerts, EmptyDeviceIsLeftOutAsPrometheusTreatsEmptyLabelsAsAbsent) {
  auto alert = open_alert();
  alert["device"] = "";
  EXPECT_FALSE(render(notice(NoticeKind::firing, alert))["labels"].contains("device"));
}

TEST(AlertmanagerAlerts, AnnotationsCarrySummaryAdviceAndSubjectAndTheLinkIsTheGeneratorUrl) {
  const auto out = render(notice(NoticeKind::firing));
  EXPECT_EQ(out["annotations"], (json{{"summary", "Pen P-7 was used again without being reprocessed"},
                                      {"advice", "Take the pen out of use."},
                                      {"subject", "Pen P-7"}}));
  EXPECT_EQ(out["generatorURL"], "https://sterifleet.example/#/alerts/alr_1");
  EXPECT_EQ(out["startsAt"], "2026-11-24T09:15:02.120Z");
}

TEST(AlertmanagerAlerts, NoDashboardUrlMeansNoGeneratorUrl) {
  auto n = notice(NoticeKind::firing);
  n.alert_url.clear();
  EXPECT_FALSE(render(n).contains("generatorURL"));
}

TEST(AlertmanagerAlerts, ActiveAlertsEndFiveMinutesAheadForEveryAlertingKind) {
  for (const auto kind : {NoticeKind::firing, NoticeKind::repeat, NoticeKind::escalation}) {
    for (const char* state : {"open", "acknowledged"}) {
      auto alert = open_alert();
      alert["state"] = state;
      EXPECT_EQ(render(notice(kind, alert))["endsAt"], "2026-11-24T10:05:00.000Z") << to_string(kind) << " " << state;
    }
  }
}

TEST(AlertmanagerAlerts, ResolvedAlertEndsWhenItsConditionCleared) {
  auto alert = open_alert();
  alert["state"] = "resolved";
  alert["cleared_at"] = "2026-11-24T09:40:00.000Z";
  EXPECT_EQ(render(notice(NoticeKind::resolved, alert))["endsAt"], "2026-11-24T09:40:00.000Z");
}

TEST(AlertmanagerAlerts, PersonsResolutionTimeWinsOverTheClearing) {
  auto alert = open_alert();
  alert["state"] = "resolved";
  alert["cleared_at"] = "2026-11-24T09:40:00.000Z";
  alert["resolution"] = {{"by", "u1"}, {"at", "2026-11-24T09:30:00.000Z"}, {"reason", "pen destroyed"}};
  EXPECT_EQ(render(notice(NoticeKind::resolved, alert))["endsAt"], "2026-11-24T09:30:00.000Z");
}

TEST(AlertmanagerAlerts, WithdrawnAlertEndsWhenTheNoticeWasDecidedAndSaysSo) {
  auto alert = open_alert();
  alert["state"] = "withdrawn";
  const auto out = render(notice(NoticeKind::withdrawn, alert));
  EXPECT_EQ(out["endsAt"], "2026-11-24T09:59:00.000Z");
  EXPECT_EQ(out["annotations"]["withdrawn"], "true");
  EXPECT_EQ(out["labels"]["alertname"], "device.used_without_reprocessing");
}

TEST(AlertmanagerAlerts, RepeatOfAnAlertAlreadyResolvedDoesNotReopenIt) {
  auto alert = open_alert();
  alert["state"] = "resolved";
  alert["cleared_at"] = "2026-11-24T09:40:00.000Z";
  EXPECT_EQ(render(notice(NoticeKind::repeat, alert))["endsAt"], "2026-11-24T09:40:00.000Z");
}

TEST(AlertmanagerAlerts, EndIsNeverInTheFutureNorBeforeTheStart) {
  auto alert = open_alert();
  alert["state"] = "resolved";
  alert["cleared_at"] = "2026-11-24T11:00:00.000Z";  // a clock ahead of ours
  EXPECT_EQ(render(notice(NoticeKind::resolved, alert))["endsAt"], "2026-11-24T10:00:00.000Z");
  alert["cleared_at"] = "2026-11-24T09:00:00.000Z";  // before it opened: Alertmanager would refuse it
  EXPECT_EQ(render(notice(NoticeKind::resolved, alert))["endsAt"], "2026-11-24T09:15:02.120Z");
}

TEST(AlertmanagerAlerts, TestNoticeIsAnInfoAlertOfTheDeliverysClinic) {
  auto n = notice(NoticeKind::test, json(nullptr));
  n.alert_url.clear();
  auto delivery = make_delivery({n});
  delivery.clinic = "C02";
  const auto out = postable_alerts(delivery, now).at(0);
  EXPECT_EQ(out["labels"], (json{{"alertname", "sterifleet_test"}, {"severity", "info"}, {"clinic", "C02"}}));
  EXPECT_EQ(out["endsAt"], "2026-11-24T10:05:00.000Z");
  EXPECT_TRUE(out["annotations"].contains("summary"));
}

TEST(AlertmanagerAlerts, OnePostableAlertPerNoticeInTheirOrder) {
  auto second = open_alert();
  second["id"] = "alr_2";
  const auto alerts =
      postable_alerts(make_delivery({notice(NoticeKind::firing), notice(NoticeKind::firing, second)}), now);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0]["labels"]["alert_id"], "alr_1");
  EXPECT_EQ(alerts[1]["labels"]["alert_id"], "alr_2");
}

TEST(AlertmanagerAlerts, NoticeWithoutAnAlertIsAProgrammingMistake) {
  EXPECT_THROW(render(notice(NoticeKind::firing, json::object())), std::logic_error);
}

AlertmanagerReceiver receiver(std::string url) {
  AlertmanagerReceiver r;
  r.url = std::move(url);
  return r;
}

TEST(AlertmanagerSender, EndpointToleratesATrailingSlash) {
  EXPECT_EQ(AlertmanagerSender(receiver("http://am:9093/")).endpoint(), "http://am:9093/api/v2/alerts");
  EXPECT_EQ(AlertmanagerSender(receiver("http://am:9093")).endpoint(), "http://am:9093/api/v2/alerts");
}

}  // namespace
}  // namespace sterifleet::notify
