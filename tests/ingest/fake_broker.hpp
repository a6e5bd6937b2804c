// A broker client the test drives: it connects (or fails) as told, records subscriptions and
// publications, and delivers messages on the test's thread as a client's thread would.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "sterifleet/ingest/broker_client.hpp"

namespace sterifleet::ingest::testing {

class FakeBroker final : public BrokerClient {
 public:
  using Clock = std::chrono::steady_clock;

  /// The next `n` attempts fail.
  void fail_connects(int n) {
    std::lock_guard lock(mutex_);
    failures_left_ = n;
  }
  /// Publications throw for topics equal to `topic`.
  void fail_publishing_to(std::string topic) {
    std::lock_guard lock(mutex_);
    failing_topic_ = std::move(topic);
  }

  /// Subscriptions are answered only by answer_subscriptions(), as a slow broker's SUBACK.
  void hold_subscription_answers() {
    std::lock_guard lock(mutex_);
    holding_answers_ = true;
  }
  void answer_subscriptions(bool granted) {
    std::vector<Subscribed> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_answers_);
    }
    for (auto& done : held) done(granted);
  }

  void set_handlers(Handlers handlers) override { handlers_ = std::move(handlers); }
  void connect(ConnectDone done) override {
    bool fail = false;
    {
      std::lock_guard lock(mutex_);
      attempts_.push_back(Clock::now());
      fail = failures_left_ > 0;
      if (fail) --failures_left_;
      connected_ = !fail;
    }
    changed_.notify_all();
    done(fail ? "connection refused" : "");
  }
  void subscribe(const std::vector<std::string>& filters, Subscribed done) override {
    bool hold = false;
    {
      std::lock_guard lock(mutex_);
      subscriptions_.push_back(filters);
      hold = holding_answers_;
      if (hold && done) held_answers_.push_back(std::move(done));
    }
    changed_.notify_all();
    if (!hold && done) done(true);
  }
  void publish(const std::string& topic, const std::string& payload, Retain) override {
    std::lock_guard lock(mutex_);
    if (topic == failing_topic_) throw BrokerError("not connected");
    published_.emplace_back(topic, payload);
    changed_.notify_all();
  }
  void disconnect(std::chrono::milliseconds) override {
    std::lock_guard lock(mutex_);
    connected_ = false;
  }

  /// As the client's thread would: returns when the message counts as received.
  void deliver(std::string topic, std::string payload) {
    auto owner = std::make_shared<std::pair<std::string, std::string>>(std::move(topic), std::move(payload));
    handlers_.message({owner, owner->first, owner->second, false});
  }
  void lose_connection() {
    {
      std::lock_guard lock(mutex_);
      connected_ = false;
    }
    if (handlers_.connection_lost) handlers_.connection_lost("keep-alive timeout");
  }

  template <typename Predicate>
  bool wait_for(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(*this); });
  }
  // The accessors below are for wait_for's predicate (the lock is held) or after the work is done.
  const std::vector<Clock::time_point>& attempts() const { return attempts_; }
  const std::vector<std::vector<std::string>>& subscriptions() const { return subscriptions_; }
  const std::vector<std::pair<std::string, std::string>>& published() const { return published_; }
  bool connected() const { return connected_; }

 private:
  Handlers handlers_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int failures_left_ = 0;
  std::string failing_topic_;
  bool holding_answers_ = false;
  std::vector<Subscribed> held_answers_;
  bool connected_ = false;
  std::vector<Clock::time_point> attempts_;
  std::vector<std::vector<std::string>> subscriptions_;
  std::vector<std::pair<std::string, std::string>> published_;
};

}  // namespace sterifleet::ingest::testing
