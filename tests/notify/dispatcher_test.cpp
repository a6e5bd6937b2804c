// The dispatcher working off a real SQLite outbox into a scripted webhook: retries, the receiver's
// Retry-After, 410, grouping within group_wait, timers' rounds, dead letters, and a restart.
#include "sterifleet/notify/dispatcher.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "http_receiver.hpp"
#include "sterifleet/notify/planner.hpp"
#include "sterifleet/notify/webhook_sender.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::notify {
namespace {

using namespace std::chrono_literals;
using testing::HttpReceiver;
using testing::ScriptedReply;

Timestamp now() { return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()); }

engine::Alert alert(std::string id, engine::Severity severity = engine::Severity::critical) {
  engine::Alert a;
  a.id = std::move(id);
  a.clinic = protocol::ClinicId{"C01"};
  a.rule = engine::RuleId::used_without_reprocessing;
  a.severity = severity;
  a.subject = "C01-PEN-02";
  a.episode.device = protocol::DeviceId{"C01-PEN-02"};
  a.episode.opened_at = now();
  a.episode.summary = "pen used without reprocessing";
  return a;
}

const ScriptedReply retry_now{500, {{"Retry-After", "0"}}, "busy"};

class DispatcherTest : public ::testing::Test {
 protected:
  void configure(HttpReceiver& hook, Route route = {}) {
    config_.receivers = {{"hook", WebhookReceiver{hook.url("/hook"), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}};
    route.name = "all";
    route.receiver = "hook";
    if (!route.repeat_interval) route.repeat_interval = 0s;
    config_.routes = {route};
  }
  /// An alert opened now: its rows committed as the fleet would.
  void open(const std::string& id, engine::Severity severity = engine::Severity::critical) {
    Planner planner(config_);
    store::Commit commit;
    planner.plan({engine::Transition::opened, alert(id, severity)}, policy_, now(), commit);
    store_->commit(commit);
  }
  void start() {
    Dispatcher::Senders senders;
    for (const auto& r : config_.receivers)
      senders.emplace(r.name, std::make_unique<WebhookSender>(std::get<WebhookReceiver>(r.settings)));
    dispatcher_ = std::make_unique<Dispatcher>(*store_, config_, std::move(senders), registry_, now,
                                               DispatcherOptions{.poll = 100ms});
    dispatcher_->start();
  }
  std::vector<nlohmann::json> rows(const std::string& state) { return store_->notifications({.state = state}); }
  bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 100; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return done();
  }
  static std::vector<std::string> notice_ids(const testing::RecordedRequest& request) {
    std::vector<std::string> ids;
    const auto body = nlohmann::json::parse(request.body);
    for (const auto& n : body.at("notices")) ids.push_back(n.at("id"));
    return ids;
  }

  sterifleet::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_ = store::open_sqlite((dir_.path() / "outbox.db").string());
  NotifyConfig config_;
  engine::Policy policy_ = engine::default_policy();
  prometheus::Registry registry_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, ServerErrors_AreRetriedUnderTheSameIds_UntilDelivered) {
  HttpReceiver hook({retry_now, retry_now, ScriptedReply{200}});
  configure(hook);
  open("a1");
  start();
  ASSERT_TRUE(hook.wait_for_requests(3, 10s));
  ASSERT_TRUE(eventually([&] { return rows("delivered").size() == 1; }));
  const auto requests = hook.requests();
  EXPECT_EQ(notice_ids(requests[0]).size(), 1u);
  EXPECT_EQ(notice_ids(requests[0]), notice_ids(requests[2]));
  EXPECT_EQ(requests[0].header("webhook-id"), requests[2].header("webhook-id"));
  const auto row = rows("delivered").at(0);
  EXPECT_EQ(row.at("history").size(), 3u);
  EXPECT_EQ(row.at("history").at(0).at("result"), "retry");
  EXPECT_EQ(row.at("history").at(2).at("result"), "delivered");
}

TEST_F(DispatcherTest, Gone_DisablesTheReceiver_AndItsNotificationsAreDead) {
  HttpReceiver hook({ScriptedReply{410}});
  configure(hook);
  open("a1");
  open("a2");
  start();
  ASSERT_TRUE(eventually([&] { return rows("dead").size() == 2; }));
  EXPECT_EQ(hook.requests().size(), 1u);  // both in one delivery, then nothing more
  EXPECT_TRUE(store_->disabled_receivers().contains("hook"));
  open("a3");
  dispatcher_->wake();
  ASSERT_TRUE(eventually([&] { return rows("dead").size() == 3; }));
  EXPECT_EQ(hook.requests().size(), 1u);
}

TEST_F(DispatcherTest, ABurstWithinGroupWait_IsOneMessage) {
  HttpReceiver hook;
  Route route;
  route.group_wait = 1s;
  configure(hook, route);
  start();
  open("a1");
  open("a2");
  open("a3");
  dispatcher_->wake();
  ASSERT_TRUE(eventually([&] { return rows("delivered").size() == 3; }));
  ASSERT_EQ(hook.requests().size(), 1u);
  EXPECT_EQ(notice_ids(hook.requests()[0]).size(), 3u);
}

TEST_F(DispatcherTest, ATimer_IsSentEachRound_AsADistinctNotice) {
  HttpReceiver hook;
  Route route;
  route.repeat_interval = 1s;
  route.group_wait = 0s;
  configure(hook, route);
  config_.routes[0].repeat_interval = 1s;
  open("a1");
  start();
  ASSERT_TRUE(hook.wait_for_requests(3, 10s));  // the firing notice, then two repeats
  ASSERT_TRUE(eventually([&] { return rows("pending").at(0).at("round").get<int>() >= 2; }));
  std::set<std::string> ids;
  for (const auto& r : hook.requests()) {
    for (const auto& id : notice_ids(r)) EXPECT_TRUE(ids.insert(id).second) << id;
  }
  const auto pending = rows("pending");
  ASSERT_EQ(pending.size(), 1u);  // the repeat, re-armed until acknowledged
  EXPECT_GE(pending[0].at("round").get<int>(), 2);
  store::Commit ack;
  ack.cancellations.push_back({"a1", {"repeat", "escalation"}, {}});
  store_->commit(ack);
  EXPECT_EQ(rows("pending").size(), 0u);
  EXPECT_EQ(rows("cancelled").size(), 1u);
}

TEST_F(DispatcherTest, AReceiverFailingLongerThanDeadAfter_LeavesADeadLetter) {
  HttpReceiver hook({}, retry_now);
  configure(hook);
  config_.dead_after = 0s;
  open("a1");
  start();
  ASSERT_TRUE(eventually([&] { return rows("dead").size() == 1; }));
  EXPECT_EQ(rows("dead")[0].at("last_status"), 500);
  EXPECT_EQ(store_->notification_counts().at("dead"), 1);
}

TEST_F(DispatcherTest, WhatAnEarlierRunStoredAndDidNotSend_IsSentOnStart) {
  HttpReceiver hook;
  configure(hook);
  open("a1");
  store_.reset();
  store_ = store::open_sqlite((dir_.path() / "outbox.db").string());
  start();
  ASSERT_TRUE(hook.wait_for_requests(1, 10s));
  ASSERT_TRUE(eventually([&] { return rows("delivered").size() == 1; }));
}

}  // namespace
}  // namespace sterifleet::notify
