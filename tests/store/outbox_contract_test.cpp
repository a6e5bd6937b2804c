// The notification outbox's part of the storage contract, once per back-end: rows stored with their
// commit, cancelled by alert, worked off by attempts guarded by their round, receivers disabled.
#include <gtest/gtest.h>

#include "store_fixtures.hpp"

namespace sterifleet::store::testing {
namespace {

using namespace std::chrono_literals;
using Result = DeliveryAttempt::Result;

class OutboxContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { store_ = GetParam().open(dir_.file("store")); }

  static OutboxRow row(std::string id, std::string alert, std::string kind, Timestamp due,
                       std::string receiver = "hook") {
    OutboxRow r;
    r.id = std::move(id);
    r.alert_id = std::move(alert);
    r.clinic = "C01";
    r.receiver = std::move(receiver);
    r.kind = std::move(kind);
    r.route = "all";
    r.created_at = t0;
    r.due_at = due;
    r.notice = R"({"id":"x"})";
    return r;
  }
  void add(std::vector<OutboxRow> rows) {
    Commit c;
    c.notifications = std::move(rows);
    store_->commit(c);
  }
  std::map<std::string, std::string> states() {
    std::map<std::string, std::string> out;
    for (const auto& r : store_->notifications({})) out[r.at("id")] = r.at("state");
    return out;
  }
  static DeliveryAttempt attempt(std::string id, std::int64_t round, Result result,
                                 std::optional<Timestamp> next = std::nullopt) {
    DeliveryAttempt a;
    a.id = std::move(id);
    a.round = round;
    a.at = t0 + 1s;
    a.result = result;
    a.status = result == Result::delivered ? 200 : 500;
    a.answer = result == Result::delivered ? "HTTP 200" : "HTTP 500: busy";
    a.next_due = next;
    return a;
  }

  static inline const Timestamp t0 = *protocol::parse_timestamp("2026-12-06T10:00:00.000Z");
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(OutboxContract, DueRows_AreThePendingOnesUpToATime_EarliestFirst) {
  EXPECT_FALSE(store_->next_notification_due());
  add({row("n2", "a1", "repeat", t0 + 15min), row("n1", "a1", "firing", t0)});
  EXPECT_EQ(store_->next_notification_due(), t0);
  const auto due = store_->due_notifications(t0 + 1s, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].row.id, "n1");
  EXPECT_EQ(due[0].row.receiver, "hook");
  EXPECT_EQ(due[0].round, 0);
  EXPECT_EQ(store_->due_notifications(t0 + 1h, 10).size(), 2u);
  EXPECT_EQ(store_->due_notifications(t0 + 1h, 1).size(), 1u);
}

TEST_P(OutboxContract, Cancellation_TouchesOnlyThePendingRowsOfItsAlertAndKindsOrReceivers) {
  add({row("f1", "a1", "firing", t0), row("r1", "a1", "repeat", t0 + 15min), row("r2", "a2", "repeat", t0 + 15min),
       row("m1", "a1", "firing", t0, "am")});
  store_->record_attempts(std::vector{attempt("f1", 0, Result::delivered)});
  Commit ack;
  ack.cancellations.push_back({"a1", {"repeat", "firing"}, {}});
  store_->commit(ack);
  auto s = states();
  EXPECT_EQ(s["f1"], "delivered");  // already sent: history, not cancelled
  EXPECT_EQ(s["r1"], "cancelled");
  EXPECT_EQ(s["r2"], "pending");  // another alert's
  EXPECT_EQ(s["m1"], "cancelled");
  add({row("m2", "a3", "firing", t0, "am"), row("h2", "a3", "firing", t0)});
  Commit end;
  end.cancellations.push_back({"a3", {}, {"am"}});
  store_->commit(end);
  s = states();
  EXPECT_EQ(s["m2"], "cancelled");
  EXPECT_EQ(s["h2"], "pending");
}

TEST_P(OutboxContract, Attempts_RetryRearmAndDie_AndAStaleRoundOnlyJoinsTheHistory) {
  auto timer = row("t1", "a1", "repeat", t0);
  timer.every = 15min;
  add({timer, row("f1", "a1", "firing", t0), row("d1", "a1", "escalation", t0)});
  store_->record_attempts(std::vector{attempt("f1", 0, Result::retry, t0 + 10s),
                                      attempt("t1", 0, Result::delivered, t0 + 15min), attempt("d1", 0, Result::dead)});
  auto due = store_->due_notifications(t0 + 1h, 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].row.id, "f1");
  EXPECT_EQ(due[0].row.due_at, t0 + 10s);
  EXPECT_EQ(due[0].attempts, 1);
  EXPECT_EQ(due[0].first_failure, t0 + 1s);
  EXPECT_EQ(due[1].row.id, "t1");
  EXPECT_EQ(due[1].round, 1);
  EXPECT_EQ(due[1].row.due_at, t0 + 15min);
  EXPECT_EQ(due[1].attempts, 0);
  // A second dispatcher's late record of round 0 changes nothing but the history.
  store_->record_attempts(std::vector{attempt("t1", 0, Result::dead)});
  EXPECT_EQ(states()["t1"], "pending");
  EXPECT_EQ(states()["d1"], "dead");
  const auto rows = store_->notifications({.alert_id = "a1", .state = "pending"});
  const auto t1 = std::find_if(rows.begin(), rows.end(), [](const auto& r) { return r.at("id") == "t1"; });
  ASSERT_NE(t1, rows.end());
  EXPECT_EQ(t1->at("history").size(), 2u);
  EXPECT_EQ(t1->at("delivered_at"), "2026-12-06T10:00:01.000Z");
  EXPECT_EQ(store_->notification_counts({}).at("dead"), 1);
  EXPECT_EQ(store_->notification_counts({}).at("pending"), 2);
}

TEST_P(OutboxContract, DisablingAReceiver_KillsItsPendingRows_UntilEnabledAgain) {
  add({row("h1", "a1", "firing", t0), row("h2", "a2", "firing", t0), row("o1", "a1", "firing", t0, "other")});
  const auto buried = store_->disable_receiver("hook", t0 + 1s, "HTTP 410");
  ASSERT_EQ(buried.size(), 2u);
  EXPECT_EQ(buried[0].row.receiver, "hook");
  const auto s = states();
  EXPECT_EQ(s.at("h1"), "dead");
  EXPECT_EQ(s.at("o1"), "pending");
  const auto disabled = store_->disabled_receivers();
  ASSERT_TRUE(disabled.contains("hook"));
  EXPECT_EQ(disabled.at("hook").at("answer"), "HTTP 410");
  EXPECT_TRUE(store_->enable_receiver("hook"));
  EXPECT_FALSE(store_->enable_receiver("hook"));
  EXPECT_TRUE(store_->disabled_receivers().empty());
  EXPECT_EQ(states().at("h1"), "dead");
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxContract, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<Backend>& param) { return param.param.name; });

}  // namespace
}  // namespace sterifleet::store::testing
