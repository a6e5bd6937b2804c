// The notification endpoints over the real server: an alert's deliveries with their attempts, the
// outbox with its dead letters and counts, and an admin's test notification and re-enabling of a
// receiver, each reaching the daemon's hooks (HttpOptions::notify) and the audit trail.
#include <mutex>

#include "harness.hpp"

namespace sterifleet::http::testing {
namespace {

using nlohmann::json;
using verb = bhttp::verb;
using Result = store::DeliveryAttempt::Result;

/// What the API asked of the (fake) notifier.
struct NotifierCalls {
  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> tests;  ///< receiver, actor
  std::vector<std::string> enabled;
};

class Notifications : public ::testing::Test {
 protected:
  NotifierCalls calls;
  Harness harness{tweaked(true, [this](HttpOptions& options) {
    options.notify.test = [this](const std::string& receiver, const std::string& actor) {
      std::lock_guard lock(calls.mutex);
      calls.tests.emplace_back(receiver, actor);
      if (receiver == "down") return TestNotification{false, 503, "HTTP 503: maintenance"};
      if (receiver != "pager")
        throw std::invalid_argument("no receiver named \"" + receiver + "\" (configured: pager, down)");
      return TestNotification{true, 200, "HTTP 200: ok"};
    };
    options.notify.enable_receiver = [this](const std::string& receiver) {
      {
        std::lock_guard lock(calls.mutex);
        calls.enabled.push_back(receiver);
      }
      return harness.store().enable_receiver(receiver);
    };
  })};

  std::string open_alert() {
    const auto page = json_of(harness.get("/api/v1/alerts?state=open", Role::viewer));
    EXPECT_FALSE(page["items"].empty());
    return page["items"].empty() ? "" : page["items"][0]["id"].get<std::string>();
  }

  store::OutboxRow row(const std::string& id, const std::string& alert, const std::string& clinic,
                       const std::string& receiver) {
    store::OutboxRow r;
    r.id = id;
    r.alert_id = alert;
    r.clinic = clinic;
    r.receiver = receiver;
    r.kind = alert.empty() ? "test" : "firing";
    r.created_at = r.due_at = at_minute(600);
    r.notice = R"({"id":")" + id + R"("})";
    return r;
  }

  void add(std::vector<store::OutboxRow> rows) {
    store::Commit commit;
    commit.notifications = std::move(rows);
    harness.store().commit(commit);
  }

  void attempt(const std::string& id, Result result, int status, const std::string& answer) {
    store::DeliveryAttempt a;
    a.id = id;
    a.at = at_minute(601);
    a.result = result;
    a.status = status;
    a.answer = answer;
    a.latency = std::chrono::minutes(1);
    harness.store().record_attempts(std::vector{a});
  }

  json last_audit() {
    const auto head = harness.store().audit_head();
    auto page = harness.store().audit_records(head.seq - 1, 1);
    return page.rows.empty() ? json() : page.rows.front();
  }
};

TEST_F(Notifications, AlertNotifications_ShowWhoWasToldWhenAndWhetherItArrived) {
  const auto alert = open_alert();
  add({row("n1", alert, "north", "pager"), row("n2", alert, "north", "mail"), row("n3", "", "", "pager")});
  attempt("n1", Result::delivered, 200, "HTTP 200: ok");
  attempt("n2", Result::retry, 503, "HTTP 503: busy");
  const auto response = harness.get("/api/v1/alerts/" + alert + "/notifications", Role::viewer);
  ASSERT_EQ(response.result_int(), 200) << response.body();
  const auto rows = json_of(response)["notifications"];
  ASSERT_EQ(rows.size(), 2u);
  std::map<std::string, json> by_receiver;
  for (const auto& r : rows) by_receiver[r["receiver"].get<std::string>()] = r;
  EXPECT_EQ(by_receiver["pager"]["state"], "delivered");
  EXPECT_EQ(by_receiver["pager"]["delivered_at"], "2026-11-24T18:01:00.000Z");
  ASSERT_EQ(by_receiver["pager"]["history"].size(), 1u);
  EXPECT_EQ(by_receiver["pager"]["history"][0]["answer"], "HTTP 200: ok");
  EXPECT_EQ(by_receiver["mail"]["state"], "pending");
  EXPECT_EQ(by_receiver["mail"]["attempts"], 1);
  EXPECT_EQ(by_receiver["mail"]["last_status"], 503);
}

TEST_F(Notifications, AlertNotifications_OfAnUnknownAlert_Are404) {
  const auto response = harness.get("/api/v1/alerts/ffffffffffffffff/notifications", Role::viewer);
  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(error_message(response), "no alert ffffffffffffffff");
}

TEST_F(Notifications, Outbox_FiltersAndCountsDeadLetters) {
  add({row("n1", "a1", "north", "pager"), row("n2", "a2", "south", "pager"), row("n3", "", "", "mail")});
  attempt("n1", Result::delivered, 200, "ok");
  attempt("n2", Result::dead, 500, "gave up");
  const auto dead = json_of(harness.get("/api/v1/notifications?state=dead", Role::manager));
  ASSERT_EQ(dead["items"].size(), 1u);
  EXPECT_EQ(dead["items"][0]["id"], "n2");
  EXPECT_EQ(dead["counts"]["dead"], 1);
  EXPECT_EQ(dead["counts"]["delivered"], 1);
  EXPECT_EQ(dead["counts"]["pending"], 1);
  EXPECT_EQ(json_of(harness.get("/api/v1/notifications?clinic=north", Role::auditor))["items"].size(), 1u);
  EXPECT_EQ(json_of(harness.get("/api/v1/notifications?receiver=mail", Role::auditor))["items"][0]["kind"], "test");
  EXPECT_EQ(json_of(harness.get("/api/v1/notifications?limit=2", Role::auditor))["items"].size(), 2u);
  const auto bad = harness.get("/api/v1/notifications?state=lost", Role::manager);
  EXPECT_EQ(bad.result_int(), 400);
}

TEST_F(Notifications, Outbox_ShowsDisabledReceiversToAdminsOnly) {
  add({row("n1", "a1", "north", "hook")});
  harness.store().disable_receiver("hook", at_minute(602), "HTTP 410: gone");
  EXPECT_FALSE(json_of(harness.get("/api/v1/notifications", Role::manager)).contains("disabled_receivers"));
  const auto admin = json_of(harness.get("/api/v1/notifications", Role::admin));
  EXPECT_EQ(admin["disabled_receivers"]["hook"]["answer"], "HTTP 410: gone");
  EXPECT_EQ(admin["items"][0]["state"], "dead");
}

TEST_F(Notifications, Test_AnswersWhatTheReceiverSaid_AndIsAudited) {
  const auto response = harness.post("/api/v1/notify/test", Role::admin, {{"receiver", "pager"}});
  ASSERT_EQ(response.result_int(), 200) << response.body();
  EXPECT_EQ(json_of(response),
            json({{"receiver", "pager"}, {"delivered", true}, {"status", 200}, {"answer", "HTTP 200: ok"}}));
  ASSERT_EQ(calls.tests.size(), 1u);
  EXPECT_EQ(calls.tests[0].second, "token:ada");
  const auto audit = last_audit();
  EXPECT_EQ(audit["action"], "notification_test");
  EXPECT_EQ(audit["actor"], "token:ada");
  EXPECT_EQ(audit["entity"], "receiver:pager");
  EXPECT_EQ(audit["after"]["delivered"], true);

  const auto failed = json_of(harness.post("/api/v1/notify/test", Role::admin, {{"receiver", "down"}}));
  EXPECT_EQ(failed["delivered"], false);
  EXPECT_EQ(failed["status"], 503);
  EXPECT_EQ(last_audit()["after"]["answer"], "HTTP 503: maintenance");
}

TEST_F(Notifications, Test_OfAnUnknownReceiver_Is404NamingTheConfiguredOnes) {
  const auto response = harness.post("/api/v1/notify/test", Role::admin, {{"receiver", "nope"}});
  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(error_message(response), "no receiver named \"nope\" (configured: pager, down)");
  EXPECT_EQ(harness.post("/api/v1/notify/test", Role::admin, json::object()).result_int(), 400);
}

TEST(NotificationsUnconfigured, Test_WithoutReceivers_Is404_AndEnableAsksTheStore) {
  Harness harness(empty_fleet());
  const auto response = harness.post("/api/v1/notify/test", Role::admin, {{"receiver", "pager"}});
  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(error_message(response), "no receiver named \"pager\" (none is configured)");
  harness.store().disable_receiver("hook", kDay, "HTTP 410: gone");
  EXPECT_EQ(harness.post("/api/v1/notify/receivers/hook/enable", Role::admin, json::object()).result_int(), 200);
  EXPECT_TRUE(harness.store().disabled_receivers().empty());
}

TEST_F(Notifications, Enable_ReachesTheNotifier_IsAudited_And404WhenNotDisabled) {
  harness.store().disable_receiver("hook", at_minute(602), "HTTP 410: gone");
  const auto response = harness.post("/api/v1/notify/receivers/hook/enable", Role::admin, json::object());
  ASSERT_EQ(response.result_int(), 200) << response.body();
  EXPECT_EQ(json_of(response), json({{"receiver", "hook"}, {"enabled", true}}));
  EXPECT_EQ(calls.enabled, std::vector<std::string>{"hook"});
  EXPECT_TRUE(harness.store().disabled_receivers().empty());
  const auto audit = last_audit();
  EXPECT_EQ(audit["action"], "receiver_enabled");
  EXPECT_EQ(audit["actor"], "token:ada");
  const auto again = harness.post("/api/v1/notify/receivers/hook/enable", Role::admin, json::object());
  EXPECT_EQ(again.result_int(), 404);
  EXPECT_EQ(error_message(again), "receiver \"hook\" is not disabled");
}

}  // namespace
}  // namespace sterifleet::http::testing
