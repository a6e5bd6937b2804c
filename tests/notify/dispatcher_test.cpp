// The dispatcher working off a real SQLite outbox into a scripted webhook: retries, the receiver's
// Retry-After, 410, grouping within group_wait, timers' rounds, dead letters, and a restart.
#include "sterifleet/notify/dispatcher.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <mutex>

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

/// What the dispatcher reported: the daemon turns these into delivery.failed alerts.
class RecordingObserver : public DeliveryObserver {
 public:
  void failed(const DeadNotification& dead) override {
    std::lock_guard lock(mutex_);
    failed_.push_back(dead);
  }
  void recovered(const std::string& receiver, const std::string& clinic) override {
    std::lock_guard lock(mutex_);
    recovered_.emplace_back(receiver, clinic);
  }
  std::vector<DeadNotification> failures() {
    std::lock_guard lock(mutex_);
    return failed_;
  }
  std::vector<std::pair<std::string, std::string>> recoveries() {
    std::lock_guard lock(mutex_);
    return recovered_;
  }
  std::vector<std::string> failed_alerts() {
    std::vector<std::string> ids;
    for (const auto& d : failures()) ids.push_back(d.alert_id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

 private:
  std::mutex mutex_;
  std::vector<DeadNotification> failed_;
  std::vector<std::pair<std::string, std::string>> recovered_;
};

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
    open_alert(alert(id, severity));
  }
  /// `later`: its notifications are due that much later than planned.
  void open_alert(const engine::Alert& a, std::chrono::milliseconds later = 0ms) {
    Planner planner(config_);
    store::Commit commit;
    planner.plan({engine::Transition::opened, a}, policy_, now(), commit);
    for (auto& row : commit.notifications) row.due_at += later;
    store_->commit(commit);
  }
  void start() {
    Dispatcher::Senders senders;
    for (const auto& r : config_.receivers)
      senders.emplace(r.name, std::make_unique<WebhookSender>(std::get<WebhookReceiver>(r.settings)));
    dispatcher_ = std::make_unique<Dispatcher>(*store_, config_, std::move(senders), registry_, now,
                                               DispatcherOptions{.poll = 100ms});
    dispatcher_->observe_deliveries_with(observer_);
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
  RecordingObserver observer_;  // before the dispatcher: its workers report to it until it stops
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
  EXPECT_EQ(store_->notification_counts({}).at("dead"), 1);
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

TEST_F(DispatcherTest, Gone_ReportsEveryNotificationItKilled_OnceEach) {
  HttpReceiver hook({ScriptedReply{410}});
  configure(hook);
  open("a1");
  open("a2");
  auto elsewhere = alert("b1");  // another clinic's, not due yet: buried with the receiver all the same
  elsewhere.clinic = protocol::ClinicId{"C02"};
  open_alert(elsewhere, 1h);
  start();
  ASSERT_TRUE(eventually([&] { return rows("dead").size() == 3; }));
  ASSERT_TRUE(eventually([&] { return observer_.failures().size() == 3; }));
  EXPECT_EQ(observer_.failed_alerts(), (std::vector<std::string>{"a1", "a2", "b1"}));
  for (const auto& d : observer_.failures()) {
    EXPECT_EQ(d.receiver, "hook");
    EXPECT_EQ(d.clinic, d.alert_id == "b1" ? "C02" : "C01");
    EXPECT_EQ(d.rule, "device.used_without_reprocessing");
    EXPECT_EQ(d.kind, "firing");
    EXPECT_NE(d.answer.find("410"), std::string::npos) << d.answer;
  }
  // Disabled: what is planned for it later dies at once, and is reported too, once.
  open("a3");
  dispatcher_->wake();
  ASSERT_TRUE(eventually([&] { return observer_.failures().size() == 4; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(observer_.failed_alerts(), (std::vector<std::string>{"a1", "a2", "a3", "b1"}));
  EXPECT_TRUE(observer_.recoveries().empty());
}

TEST_F(DispatcherTest, ADeadLetter_IsReportedOnce_AndTheNextDeliveryRecovers) {
  // Three slow refusals: the second is retried (0.6 s after the first), the third gives up (1.2 s).
  const ScriptedReply slow_refusal{500, {{"Retry-After", "0"}}, "busy", 600ms};
  HttpReceiver hook({slow_refusal, slow_refusal, slow_refusal});
  configure(hook);
  config_.dead_after = 1s;
  open("a1");
  start();
  ASSERT_TRUE(eventually([&] { return rows("dead").size() == 1; }));
  ASSERT_TRUE(eventually([&] { return observer_.failures().size() == 1; }));
  EXPECT_GE(rows("dead")[0].at("history").size(), 2u);  // retried, yet reported once
  const auto dead = observer_.failures()[0];
  EXPECT_EQ(dead.alert_id, "a1");
  EXPECT_EQ(dead.clinic, "C01");
  EXPECT_NE(dead.answer.find("given up"), std::string::npos) << dead.answer;
  EXPECT_TRUE(observer_.recoveries().empty());

  open("a2");  // the receiver answers 200 by now
  dispatcher_->wake();
  ASSERT_TRUE(eventually([&] { return rows("delivered").size() == 1; }));
  ASSERT_TRUE(eventually([&] { return observer_.recoveries().size() == 1; }));
  EXPECT_EQ(observer_.recoveries()[0], (std::pair<std::string, std::string>{"hook", "C01"}));
  open("a3");  // no failure since: nothing more to report
  dispatcher_->wake();
  ASSERT_TRUE(eventually([&] { return rows("delivered").size() == 2; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(observer_.recoveries().size(), 1u);
  EXPECT_EQ(observer_.failures().size(), 1u);
}

TEST_F(DispatcherTest, TheNotificationOfADeliveryFailedAlertDying_RaisesNothing) {
  HttpReceiver hook({ScriptedReply{410}});
  configure(hook);
  auto failed = alert("d1");
  failed.rule = engine::RuleId::delivery_failed;
  failed.subject = "hook";
  failed.episode.device = protocol::DeviceId{};
  open_alert(failed);
  start();
  ASSERT_TRUE(eventually([&] { return rows("dead").size() == 1; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(observer_.failures().empty()) << "receivers failing each other's notices would loop";
  open("a1");  // another rule's notification still counts
  dispatcher_->wake();
  ASSERT_TRUE(eventually([&] { return observer_.failures().size() == 1; }));
  EXPECT_EQ(observer_.failures()[0].alert_id, "a1");
}

}  // namespace
}  // namespace sterifleet::notify

namespace sterifleet::notify {
namespace {

std::size_t threads_of_this_process() {
  return static_cast<std::size_t>(
      std::distance(std::filesystem::directory_iterator("/proc/self/task"), std::filesystem::directory_iterator{}));
}

// What a cluster's 32 shards cost: with the daemon's sending threads shared, one outbox thread each.
TEST_F(DispatcherTest, DispatchersSharingSendingThreads_EachAddsOnlyItsOutboxThread_AndDelivers) {
  HttpReceiver hook;
  configure(hook);
  boost::asio::thread_pool senders(4);
  const auto make = [&](boost::asio::thread_pool* shared) {
    Dispatcher::Senders s;
    s.emplace("hook", std::make_unique<WebhookSender>(std::get<WebhookReceiver>(config_.receivers[0].settings)));
    return std::make_unique<Dispatcher>(*store_, config_, std::move(s), registry_, now,
                                        DispatcherOptions{.poll = 100ms, .shared_workers = shared});
  };
  const auto before = threads_of_this_process();
  std::vector<std::unique_ptr<Dispatcher>> shards;
  for (int i = 0; i < 32; ++i) shards.push_back(make(&senders));
  for (auto& d : shards) d->start();
  EXPECT_EQ(threads_of_this_process() - before, 32u);
  shards.clear();
  auto alone = make(nullptr);
  alone->start();
  EXPECT_EQ(threads_of_this_process() - before, 5u) << "one outbox thread and four sending threads";
  alone.reset();

  open("a1");
  auto shared = make(&senders);
  shared->start();
  ASSERT_TRUE(eventually([&] { return rows("delivered").size() == 1; }));
  shared->stop();
  EXPECT_EQ(hook.requests().size(), 1u);
}

// In a cluster a person enables a receiver through any daemon's API, which only the store hears of.
TEST_F(DispatcherTest, AReceiverEnabledInTheStoreBehindItsBack_IsSentToAgain) {
  HttpReceiver hook;
  configure(hook);
  store_->disable_receiver("hook", now(), "HTTP 410: gone");
  start();  // reads the disabled receivers
  EXPECT_TRUE(store_->enable_receiver("hook"));
  open("a1");
  dispatcher_->wake();
  ASSERT_TRUE(eventually([&] { return rows("delivered").size() == 1; })) << rows("dead").size() << " dead";
  EXPECT_EQ(hook.requests().size(), 1u);
}

}  // namespace
}  // namespace sterifleet::notify
