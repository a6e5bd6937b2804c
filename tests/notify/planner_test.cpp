// Routing and the outbox rows each alert transition decides, on a test clock.
#include "sterifleet/notify/planner.hpp"

#include <gtest/gtest.h>

namespace sterifleet::notify {
namespace {

using namespace std::chrono_literals;
using engine::AlertChange;
using engine::RuleId;
using engine::Severity;
using engine::Transition;

Timestamp at(const char* text) { return *protocol::parse_timestamp(text); }

engine::Alert alert(Severity severity, const char* clinic = "C01", RuleId rule = RuleId::used_without_reprocessing) {
  engine::Alert a;
  a.id = "a1";
  a.clinic = protocol::ClinicId{clinic};
  a.rule = rule;
  a.severity = severity;
  a.subject = "C01-PEN-02";
  a.episode.device = protocol::DeviceId{"C01-PEN-02"};
  a.episode.opened_at = at("2026-12-06T10:00:00.000Z");
  a.episode.summary = "pen used without reprocessing";
  return a;
}

Receiver webhook(std::string name) { return {std::move(name), WebhookReceiver{"http://127.0.0.1:1/", "s"}}; }
Receiver alertmanager(std::string name) { return {std::move(name), AlertmanagerReceiver{"http://127.0.0.1:1"}}; }

Route route(std::string name, std::string receiver) {
  Route r;
  r.name = std::move(name);
  r.receiver = std::move(receiver);
  return r;
}

class PlannerTest : public ::testing::Test {
 protected:
  store::Commit plan(Transition transition, const engine::Alert& a, Timestamp now) {
    Planner planner(config_, [this] { return "ntf_" + std::to_string(++ids_); });
    store::Commit commit;
    planner.plan(AlertChange{transition, a}, policy_, now, commit);
    return commit;
  }
  static const store::OutboxRow* find(const store::Commit& c, std::string_view kind, std::string_view receiver) {
    for (const auto& row : c.notifications) {
      if (row.kind == kind && row.receiver == receiver) return &row;
    }
    return nullptr;
  }

  NotifyConfig config_;
  engine::Policy policy_ = engine::default_policy();
  int ids_ = 0;
  const Timestamp now_ = at("2026-12-06T10:00:00.000Z");
};

TEST_F(PlannerTest, Opened_SendsFiringAfterGroupWait_AndArmsRepeatAndEscalation) {
  config_.receivers = {webhook("desk"), webhook("owner")};
  auto r = route("all", "desk");
  r.group_wait = 2s;
  r.repeat_interval = 10min;
  r.escalate_after = 30min;
  r.escalate_to = "owner";
  config_.routes = {r};
  const auto c = plan(Transition::opened, alert(Severity::critical), now_);
  ASSERT_EQ(c.notifications.size(), 3u);
  const auto* firing = find(c, "firing", "desk");
  ASSERT_TRUE(firing);
  EXPECT_EQ(firing->due_at, now_ + 2s);
  EXPECT_EQ(firing->every, 0ms);
  EXPECT_EQ(firing->alert_id, "a1");
  EXPECT_EQ(firing->clinic, "C01");
  EXPECT_EQ(firing->route, "all");
  const auto notice = notice_from_json(nlohmann::json::parse(firing->notice));
  EXPECT_EQ(notice.id, firing->id);
  EXPECT_EQ(notice.alert.at("device"), "C01-PEN-02");
  EXPECT_FALSE(notice.advice.empty());
  const auto* repeat = find(c, "repeat", "desk");
  ASSERT_TRUE(repeat);
  EXPECT_EQ(repeat->due_at, now_ + 10min);
  EXPECT_EQ(repeat->every, 10min);
  const auto* escalation = find(c, "escalation", "owner");
  ASSERT_TRUE(escalation);
  EXPECT_EQ(escalation->due_at, now_ + 30min);
}

TEST_F(PlannerTest, RepeatInterval_DefaultsToThePolicysForTheSeverity_AndZeroMeansNone) {
  config_.receivers = {webhook("desk")};
  config_.routes = {route("all", "desk")};
  const auto c = plan(Transition::opened, alert(Severity::warning), now_);
  ASSERT_TRUE(find(c, "repeat", "desk"));
  EXPECT_EQ(find(c, "repeat", "desk")->every, policy_.repeat_interval(Severity::warning));
  config_.routes[0].repeat_interval = 0s;
  EXPECT_FALSE(find(plan(Transition::opened, alert(Severity::warning), now_), "repeat", "desk"));
}

TEST_F(PlannerTest, FirstMatchingRouteWins_UnlessItContinues) {
  config_.receivers = {webhook("c01"), webhook("critical"), webhook("rest")};
  auto clinic = route("clinic C01", "c01");
  clinic.clinics = {"C01"};
  auto critical = route("critical", "critical");
  critical.severities = {Severity::critical};
  config_.routes = {clinic, critical, route("rest", "rest")};
  auto c = plan(Transition::opened, alert(Severity::critical), now_);
  EXPECT_TRUE(find(c, "firing", "c01"));
  EXPECT_FALSE(find(c, "firing", "critical"));
  config_.routes[0].continue_matching = true;
  c = plan(Transition::opened, alert(Severity::critical), now_);
  EXPECT_TRUE(find(c, "firing", "c01"));
  EXPECT_TRUE(find(c, "firing", "critical"));
  EXPECT_FALSE(find(c, "firing", "rest"));
  c = plan(Transition::opened, alert(Severity::warning, "C02"), now_);
  EXPECT_TRUE(find(c, "firing", "rest"));
  EXPECT_EQ(c.notifications.size(), 2u);  // firing and repeat, to "rest" only
}

TEST_F(PlannerTest, Rule_IsMatched) {
  config_.receivers = {webhook("bi")};
  auto r = route("bi", "bi");
  r.rules = {RuleId::cycle_bi_positive};
  config_.routes = {r};
  EXPECT_TRUE(plan(Transition::opened, alert(Severity::critical), now_).notifications.empty());
  EXPECT_FALSE(plan(Transition::opened, alert(Severity::critical, "C01", RuleId::cycle_bi_positive), now_)
                   .notifications.empty());
}

TEST_F(PlannerTest, QuietHours_HoldWarningsUntilTheyEnd_InTheRoutesTimeZone_ButNeverCriticalAlerts) {
  config_.receivers = {webhook("desk")};
  auto r = route("all", "desk");
  r.quiet_hours.emplace(20h, 7h, "Europe/Berlin");  // CET in December: UTC+1
  config_.routes = {r};
  const auto evening = at("2026-12-06T21:30:00.000Z");  // 22:30 in Berlin
  EXPECT_EQ(find(plan(Transition::opened, alert(Severity::warning), evening), "firing", "desk")->due_at,
            at("2026-12-07T06:00:00.000Z"));
  const auto early = at("2026-12-07T05:00:00.000Z");  // 06:00 in Berlin
  EXPECT_EQ(find(plan(Transition::opened, alert(Severity::warning), early), "firing", "desk")->due_at,
            at("2026-12-07T06:00:00.000Z"));
  EXPECT_EQ(find(plan(Transition::opened, alert(Severity::critical), evening), "firing", "desk")->due_at, evening);
  const auto day = at("2026-12-07T12:00:00.000Z");
  EXPECT_EQ(find(plan(Transition::opened, alert(Severity::warning), day), "firing", "desk")->due_at, day);
}

TEST_F(PlannerTest, QuietHours_RefuseAnUnknownTimeZone) {
  EXPECT_THROW(QuietHours(20h, 7h, "Mars/Olympus_Mons"), std::runtime_error);
}

TEST_F(PlannerTest, Acknowledged_CancelsRepeatsAndEscalations) {
  config_.receivers = {webhook("desk")};
  config_.routes = {route("all", "desk")};
  auto a = alert(Severity::critical);
  a.ack = engine::Acknowledgement{"token:anna", now_, "on it"};
  const auto c = plan(Transition::acknowledged, a, now_);
  EXPECT_TRUE(c.notifications.empty());
  ASSERT_EQ(c.cancellations.size(), 1u);
  EXPECT_EQ(c.cancellations[0].alert_id, "a1");
  EXPECT_EQ(c.cancellations[0].kinds, (std::vector<std::string>{"repeat", "escalation"}));
}

TEST_F(PlannerTest, Resolved_CancelsTimers_AndSendsResolvedWhereTheRouteAsks) {
  config_.receivers = {webhook("desk"), alertmanager("am")};
  auto desk = route("desk", "desk");
  desk.continue_matching = true;
  config_.routes = {desk, route("am", "am")};
  auto a = alert(Severity::critical);
  a.episode.cleared_at = now_;
  auto c = plan(Transition::resolved, a, now_);
  ASSERT_EQ(c.cancellations.size(), 1u);
  EXPECT_EQ(c.cancellations[0].receivers, (std::vector<std::string>{"am"}));
  ASSERT_TRUE(find(c, "resolved", "desk"));
  const auto* am = find(c, "resolved", "am");
  ASSERT_TRUE(am);
  EXPECT_EQ(am->every, alertmanager_refresh);
  EXPECT_EQ(am->until, now_ + alertmanager_resolved_for);

  config_.routes[0].send_resolved = false;
  config_.routes[1].send_resolved = false;
  c = plan(Transition::withdrawn, a, now_);
  EXPECT_FALSE(find(c, "withdrawn", "desk"));
  EXPECT_TRUE(find(c, "withdrawn", "am"));  // Alertmanager holds it as firing until told
}

TEST_F(PlannerTest, Alertmanager_GetsTheAlertAtOnceAndEveryMinute_WithoutRepeatRows) {
  config_.receivers = {alertmanager("am")};
  auto r = route("am", "am");
  r.group_wait = 30s;
  config_.routes = {r};
  const auto c = plan(Transition::opened, alert(Severity::warning), now_);
  ASSERT_EQ(c.notifications.size(), 1u);
  EXPECT_EQ(c.notifications[0].due_at, now_);
  EXPECT_EQ(c.notifications[0].every, alertmanager_refresh);
  EXPECT_FALSE(c.notifications[0].until);
}

TEST_F(PlannerTest, SilencedOrOccurred_NotifiesNobody) {
  config_.receivers = {webhook("desk")};
  config_.routes = {route("all", "desk")};
  auto a = alert(Severity::critical);
  a.silenced = true;
  EXPECT_TRUE(plan(Transition::opened, a, now_).notifications.empty());
  EXPECT_TRUE(plan(Transition::occurred, alert(Severity::critical), now_).notifications.empty());
}

TEST_F(PlannerTest, ReceiverReachedByTwoRoutes_IsToldOnce) {
  config_.receivers = {webhook("desk")};
  auto first = route("first", "desk");
  first.continue_matching = true;
  config_.routes = {first, route("second", "desk")};
  const auto c = plan(Transition::opened, alert(Severity::critical), now_);
  int firing = 0;
  for (const auto& row : c.notifications) firing += row.kind == "firing";
  EXPECT_EQ(firing, 1);
}

TEST(NotifyConfig, NamesRoutesToUndefinedReceivers) {
  NotifyConfig config;
  config.receivers = {webhook("desk"), webhook("desk")};
  auto r = route("r", "nobody");
  r.escalate_after = 5min;
  r.escalate_to = "boss";
  config.routes = {r};
  const auto problems = config.problems();
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_NE(problems[0].find("defined twice"), std::string::npos);
  EXPECT_NE(problems[1].find("\"nobody\""), std::string::npos);
  EXPECT_NE(problems[2].find("\"boss\""), std::string::npos);
}

}  // namespace
}  // namespace sterifleet::notify
