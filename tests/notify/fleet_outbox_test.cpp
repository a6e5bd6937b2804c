// The outbox joined to the fleet's commits on a test clock: an alert's notifications are stored in the
// commit that opened it, and acknowledging it cancels its repeat and escalation in its own commit.
#include <gtest/gtest.h>

#include "daemon_run.hpp"
#include "sterifleet/notify/planner.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::notify {
namespace {

using namespace std::chrono_literals;

class PlannerSeam final : public fleet::OutboxPlanner {
 public:
  explicit PlannerSeam(const NotifyConfig& config) : planner_(config) {}
  void plan(const engine::AlertChange& change, const engine::Policy& policy, Timestamp now,
            store::Commit& into) override {
    planner_.plan(change, policy, now, into);
  }
  void planned_stored() override { ++stored_; }
  int stored_ = 0;

 private:
  Planner planner_;
};

std::map<std::string, std::string> states_by_kind(store::Store& store) {
  std::map<std::string, std::string> out;
  for (const auto& row : store.notifications({})) out[row.at("kind")] = row.at("state");
  return out;
}

TEST(FleetOutbox, AnAlertsNotificationsAreStoredWithIt_AndAnAcknowledgementCancelsItsTimers) {
  sterifleet::testing::TempDir dir;
  NotifyConfig config;
  config.receivers = {{"desk", WebhookReceiver{"http://127.0.0.1:1/", "secret"}},
                      {"boss", WebhookReceiver{"http://127.0.0.1:1/", "secret"}}};
  Route route;
  route.name = "all";
  route.receiver = "desk";
  route.escalate_after = 30min;
  route.escalate_to = "boss";
  config.routes = {route};
  PlannerSeam seam(config);
  fleet::testing::DaemonRun run(dir.path() / "fleet.db");
  run.fleet().plan_notifications_with(seam);
  const auto t0 = *protocol::parse_timestamp("2026-12-06T10:00:00.000Z");
  run.restore(t0);
  // An event that cannot be judged: device.event_rejected, critical.
  run.raw("sterifleet/v1/C01/PEN-01/event", "{not json", t0 + 1s);
  const auto alert = run.first_active_alert();
  ASSERT_FALSE(alert.empty());
  EXPECT_GE(seam.stored_, 1);
  auto states = states_by_kind(run.store());
  EXPECT_EQ(states["firing"], "pending");
  EXPECT_EQ(states["repeat"], "pending");
  EXPECT_EQ(states["escalation"], "pending");
  const auto rows = run.store().notifications({.alert_id = alert});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].at("created_at"), "2026-12-06T10:00:01.000Z");

  run.set_clock(t0 + 2min);
  ASSERT_TRUE(run.fleet().acknowledge(alert, "token:anna", "on it").ok());
  states = states_by_kind(run.store());
  EXPECT_EQ(states["firing"], "pending");  // the first notice still goes: the others on the route may not know
  EXPECT_EQ(states["repeat"], "cancelled");
  EXPECT_EQ(states["escalation"], "cancelled");
}

}  // namespace
}  // namespace sterifleet::notify
