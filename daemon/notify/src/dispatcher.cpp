#include "sterifleet/notify/dispatcher.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <random>

#include "sterifleet/notify/notice.hpp"

namespace sterifleet::notify {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Result = store::DeliveryAttempt::Result;

seconds retry_delay(std::int64_t attempt) {
  static constexpr std::array<seconds, 5> steps{seconds(10), seconds(60), seconds(300), seconds(1800), seconds(7200)};
  const auto index = static_cast<std::size_t>(std::clamp<std::int64_t>(attempt, 1, steps.size())) - 1;
  return steps[index];
}

class DeliveryMetrics {
 public:
  explicit DeliveryMetrics(prometheus::Registry& registry)
      : sent_(prometheus::BuildCounter()
                  .Name("sterifleet_notifications_sent_total")
                  .Help("Deliveries a receiver took, by receiver")
                  .Register(registry)),
        failed_(prometheus::BuildCounter()
                    .Name("sterifleet_notifications_failed_total")
                    .Help("Delivery attempts a receiver did not take (to be retried), by receiver")
                    .Register(registry)),
        died_(prometheus::BuildCounter()
                  .Name("sterifleet_notifications_dead_total")
                  .Help("Notifications given up on (nobody got them), by receiver")
                  .Register(registry)),
        rows_(prometheus::BuildGauge()
                  .Name("sterifleet_notifications")
                  .Help("Notifications in the outbox by state; dead ones are dead letters, on the dashboard")
                  .Register(registry)),
        latency_(prometheus::BuildHistogram()
                     .Name("sterifleet_notification_delivery_seconds")
                     .Help("From when a notification was due to its receiver's answer, by receiver")
                     .Register(registry)) {}

  void delivered(const std::string& receiver, double latency_seconds, std::size_t notices) {
    sent_.Add({{"receiver", receiver}}).Increment(static_cast<double>(notices));
    static const prometheus::Histogram::BucketBoundaries buckets{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
    latency_.Add({{"receiver", receiver}}, buckets).Observe(latency_seconds);
  }
  void failed(const std::string& receiver) { failed_.Add({{"receiver", receiver}}).Increment(); }
  void dead(const std::string& receiver, std::size_t notices) {
    died_.Add({{"receiver", receiver}}).Increment(static_cast<double>(notices));
  }
  void rows(const std::map<std::string, std::int64_t>& by_state) {
    for (const auto& [state, count] : by_state) rows_.Add({{"state", state}}).Set(static_cast<double>(count));
  }

 private:
  prometheus::Family<prometheus::Counter>& sent_;
  prometheus::Family<prometheus::Counter>& failed_;
  prometheus::Family<prometheus::Counter>& died_;
  prometheus::Family<prometheus::Gauge>& rows_;
  prometheus::Family<prometheus::Histogram>& latency_;
};

struct Dispatcher::Group {
  std::string receiver;
  std::string clinic;
  std::vector<store::PendingNotification> rows;
};

namespace {

/// The notice a row sends in its round: a timer's rounds are distinct notices, each with its own id.
Notice notice_of(const store::PendingNotification& p) {
  Notice notice = notice_from_json(nlohmann::json::parse(p.row.notice));
  if (p.round > 0) {
    // Appended piecewise: "." + to_string() makes GCC 12 at -O3 report a false -Wrestrict (PR105651).
    notice.id += '.';
    notice.id += std::to_string(p.round);
  }
  if (notice.kind == NoticeKind::repeat) notice.repeat = static_cast<int>(p.round) + 1;
  return notice;
}

milliseconds jittered(seconds delay) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> factor(0.8, 1.2);
  return milliseconds(static_cast<std::int64_t>(static_cast<double>(milliseconds(delay).count()) * factor(random)));
}

}  // namespace

Dispatcher::Dispatcher(store::Store& store, const NotifyConfig& config, Senders senders, prometheus::Registry& metrics,
                       Clock clock, DispatcherOptions options)
    : store_(store),
      config_(config),
      senders_(std::move(senders)),
      metrics_(std::make_unique<DeliveryMetrics>(metrics)),
      clock_(std::move(clock)),
      options_(options) {
  for (const auto& route : config_.routes) lookahead_ = std::max(lookahead_, route.group_wait);
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  for (const auto& [name, why] : store_.disabled_receivers()) {
    disabled_.insert(name);
    spdlog::error("notify: receiver {} is disabled since {} ({}): nothing is sent to it", name, why.value("at", ""),
                  why.value("answer", ""));
  }
  if (options_.shared_workers) {
    workers_ = options_.shared_workers;
  } else {
    own_workers_ = std::make_unique<boost::asio::thread_pool>(options_.workers);
    workers_ = own_workers_.get();
  }
  loop_ = std::thread([this] { run(); });
}

void Dispatcher::wake() {
  std::lock_guard lock(mutex_);
  woken_ = true;
  wakeup_.notify_one();
}

void Dispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || !loop_.joinable()) return;
    stopping_ = true;
    wakeup_.notify_one();
  }
  loop_.join();
  if (own_workers_) own_workers_->join();
  // A shared pool goes on: wait for this dispatcher's deliveries alone (those not begun return at once).
  std::unique_lock lock(mutex_);
  settled_.wait(lock, [this] { return in_flight_.empty(); });
}

bool Dispatcher::enable(const std::string& receiver) {
  const bool was_disabled = store_.enable_receiver(receiver);
  std::lock_guard lock(mutex_);
  // The cache may know it when the store does not (or the other way round, before start()): both forget.
  return disabled_.erase(receiver) > 0 || was_disabled;
}

void Dispatcher::refresh_disabled() {
  auto stored = store_.disabled_receivers();
  std::lock_guard lock(mutex_);
  disabled_.clear();
  for (auto& [name, why] : stored) disabled_.insert(name);
}

void Dispatcher::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    milliseconds wait = options_.poll;
    try {
      wait = dispatch_due();
    } catch (const std::exception& e) {
      // The store failing here loses nothing (the rows stay pending): say so, and look again later.
      spdlog::error("notify: cannot read the outbox: {}", e.what());
    }
    lock.lock();
    wakeup_.wait_for(lock, wait, [this] { return stopping_ || woken_; });
    woken_ = false;
  }
}

std::chrono::milliseconds Dispatcher::dispatch_due() {
  const Timestamp now = clock_();
  auto due = store_.due_notifications(now + lookahead_, options_.batch);
  // Another daemon (its API, or its shard's dispatcher) may have enabled or disabled a receiver: the
  // store decides, read before each round of deliveries.
  if (!due.empty()) refresh_disabled();
  // Counting scans the outbox: not at every wake-up of a busy ingest.
  if (const auto clock = std::chrono::steady_clock::now(); options_.count_rows && clock >= next_count_) {
    metrics_->rows(store_.notification_counts({}));
    next_count_ = clock + std::chrono::seconds(10);
  }
  std::map<std::pair<std::string, std::string>, Group> groups;
  std::optional<Timestamp> next;
  {
    std::lock_guard lock(mutex_);
    for (auto& p : due) {
      if (in_flight_.contains(p.row.id)) continue;
      auto& group = groups[{p.row.receiver, p.row.clinic}];
      group.receiver = p.row.receiver;
      group.clinic = p.row.clinic;
      group.rows.push_back(std::move(p));
    }
    for (auto it = groups.begin(); it != groups.end();) {
      auto& rows = it->second.rows;
      // Due when its earliest row is; the rows of the next group_wait go with it.
      const Timestamp first = rows.front().row.due_at;
      if (first > now) {
        next = std::min(next.value_or(first), first);
        it = groups.erase(it);
        continue;
      }
      const Timestamp last = first + group_wait_of(rows.front());
      std::erase_if(rows, [&](const store::PendingNotification& p) { return p.row.due_at > last; });
      for (const auto& p : rows) in_flight_.insert(p.row.id);
      ++it;
    }
  }
  for (auto& [key, group] : groups) {
    boost::asio::post(*workers_, [this, group = std::move(group)]() mutable { deliver(std::move(group)); });
  }
  if (!next && due.size() < options_.batch) next = store_.next_notification_due();
  if (!next || *next <= now) return options_.poll;  // in flight: their completion wakes the loop
  return std::clamp(std::chrono::duration_cast<milliseconds>(*next - now), milliseconds(1), options_.poll);
}

seconds Dispatcher::group_wait_of(const store::PendingNotification& p) const {
  const auto* route = config_.route(p.row.route);
  return route ? route->group_wait : seconds(0);
}

void Dispatcher::deliver(Group group) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {  // not begun: its rows stay pending, sent by the next start or the shard's next owner
      for (const auto& p : group.rows) in_flight_.erase(p.row.id);
      if (in_flight_.empty()) settled_.notify_all();
      return;
    }
  }
  SendResult result;
  const auto sender = senders_.find(group.receiver);
  std::vector<Notice> notices;
  try {
    for (const auto& p : group.rows) notices.push_back(notice_of(p));
  } catch (const std::exception& e) {
    result = {SendResult::Outcome::retry, 0, std::nullopt, std::string("a stored notice cannot be read: ") + e.what()};
  }
  bool disabled = false;
  {
    std::lock_guard lock(mutex_);
    disabled = disabled_.contains(group.receiver);
  }
  if (disabled) {
    result = {SendResult::Outcome::disabled, 0, std::nullopt, "receiver " + group.receiver + " is disabled"};
  } else if (sender == senders_.end()) {
    result = {SendResult::Outcome::retry, 0, std::nullopt,
              "receiver " + group.receiver + " is not configured (any more)"};
  } else if (notices.size() == group.rows.size()) {
    try {
      result = sender->second->send(make_delivery(std::move(notices)));
    } catch (const std::exception& e) {
      result = {SendResult::Outcome::retry, 0, std::nullopt, std::string("cannot be sent: ") + e.what()};
    }
  }
  const Timestamp at = clock_();
  std::vector<store::PendingNotification> buried;
  std::vector<store::DeliveryAttempt> attempts;
  std::string why = result.answer;
  try {
    if (result.outcome == SendResult::Outcome::disabled && !disabled) {
      why = "answered that it is gone: " + result.answer;
      buried = store_.disable_receiver(group.receiver, at, result.answer);
      spdlog::critical("notify: receiver {} answered that it is gone ({}): disabled, {} notifications dead",
                       group.receiver, result.answer, buried.size());
      std::lock_guard lock(mutex_);
      disabled_.insert(group.receiver);
    } else if (result.outcome == SendResult::Outcome::retry) {
      const auto after = std::chrono::duration_cast<seconds>(config_.dead_after).count();
      why = result.answer + " (given up after " +
            (after >= 120 ? std::to_string(after / 60) + " min" : std::to_string(after) + " s") + " of retries)";
    }
    attempts = outcome(group, result, at);
    store_.record_attempts(attempts);
  } catch (const std::exception& e) {
    spdlog::error("notify: cannot record the delivery to {}: {}; it is sent again", group.receiver, e.what());
    attempts.clear();  // not recorded: the rows are still pending (those buried above are not)
  }
  report(group, attempts, buried, why, at);
  std::lock_guard lock(mutex_);
  for (const auto& p : group.rows) in_flight_.erase(p.row.id);
  if (in_flight_.empty()) settled_.notify_all();
  woken_ = true;
  wakeup_.notify_one();
}

void Dispatcher::report(const Group& group, const std::vector<store::DeliveryAttempt>& attempts,
                        const std::vector<store::PendingNotification>& buried, const std::string& why, Timestamp at) {
  if (!observer_) return;
  // The rows that died: every row buried with a disabled receiver (the group's among them), and the
  // group's rows recorded dead.
  std::vector<const store::PendingNotification*> dead;
  std::set<std::string> seen;
  for (const auto& p : buried) {
    if (seen.insert(p.row.id).second) dead.push_back(&p);
  }
  for (std::size_t i = 0; i < attempts.size() && i < group.rows.size(); ++i) {
    const auto& p = group.rows[i];
    if (attempts[i].result == Result::dead && seen.insert(p.row.id).second) dead.push_back(&p);
  }
  for (const auto* p : dead) {
    if (p->row.alert_id.empty()) continue;  // a test notice: no alert, no clinic's people missed anything
    DeadNotification d{p->row.id, p->row.receiver, p->row.clinic, p->row.alert_id, {}, p->row.kind, why, at};
    try {
      d.rule = nlohmann::json::parse(p->row.notice).at("alert").value("rule", std::string());
    } catch (const std::exception&) {
      // Unreadable: reported all the same, without its rule.
    }
    // The alert that a receiver failed is itself delivered to the routes' receivers; one of those
    // failing too (the failing receiver itself, most likely) must not raise another: receivers failing
    // each other's notices would loop. It is logged and counted above.
    if (d.rule == engine::to_string(engine::RuleId::delivery_failed)) continue;
    {
      std::lock_guard lock(mutex_);
      delivering_.erase({d.receiver, d.clinic});
    }
    try {
      observer_->failed(d);
    } catch (const std::exception& e) {
      spdlog::critical("notify: the dead notification {} to {} (alert {}) could not be raised as an alert: {}", d.id,
                       d.receiver, d.alert_id, e.what());
    }
  }
  if (attempts.empty() || attempts.front().result != Result::delivered) return;
  const std::pair<std::string, std::string> key{group.receiver, group.clinic};
  {
    std::lock_guard lock(mutex_);
    if (!delivering_.insert(key).second) return;
  }
  try {
    observer_->recovered(group.receiver, group.clinic);
  } catch (const std::exception& e) {
    spdlog::error("notify: the recovery of {} for clinic {} could not be recorded: {}; tried again", group.receiver,
                  group.clinic, e.what());
    std::lock_guard lock(mutex_);
    delivering_.erase(key);
  }
}

std::vector<store::DeliveryAttempt> Dispatcher::outcome(const Group& group, const SendResult& result, Timestamp at) {
  std::vector<store::DeliveryAttempt> attempts;
  for (const auto& p : group.rows) {
    store::DeliveryAttempt a;
    a.id = p.row.id;
    a.round = p.round;
    a.at = at;
    a.status = result.status;
    a.answer = result.answer;
    a.latency = std::chrono::duration_cast<milliseconds>(at - p.row.due_at);
    switch (result.outcome) {
      case SendResult::Outcome::delivered:
        a.result = Result::delivered;
        a.next_due = next_round(p, at);
        break;
      case SendResult::Outcome::disabled:
        a.result = Result::dead;
        break;
      case SendResult::Outcome::retry: {
        const Timestamp failing_since = p.first_failure.value_or(at);
        if (at - failing_since >= config_.dead_after) {
          a.result = Result::dead;
        } else {
          a.result = Result::retry;
          a.next_due =
              at + (result.retry_after ? milliseconds(*result.retry_after) : jittered(retry_delay(p.attempts + 1)));
        }
        break;
      }
    }
    attempts.push_back(std::move(a));
  }
  const auto& first = attempts.front();
  const auto notices = attempts.size();
  if (first.result == Result::delivered) {
    metrics_->delivered(group.receiver, std::chrono::duration<double>(first.latency).count(), notices);
    spdlog::info("notify: {} notification(s) of clinic {} delivered to {} ({})", notices, group.clinic, group.receiver,
                 result.answer);
  } else if (first.result == Result::retry) {
    metrics_->failed(group.receiver);
    spdlog::warn("notify: {} notification(s) of clinic {} not taken by {}: {}; retrying", notices, group.clinic,
                 group.receiver, result.answer);
  } else {
    metrics_->dead(group.receiver, notices);
    // Nobody was told: as loud as the daemon gets.
    for (const auto& p : group.rows) {
      spdlog::critical("notify: notification {} ({} of alert {}, clinic {}) to {} is dead: {}", p.row.id, p.row.kind,
                       p.row.alert_id, p.row.clinic, group.receiver, result.answer);
    }
  }
  return attempts;
}

std::optional<Timestamp> Dispatcher::next_round(const store::PendingNotification& p, Timestamp at) const {
  if (p.row.every <= milliseconds::zero()) return std::nullopt;
  // From the planned time, so that repeats keep their rhythm; never in the past after a long outage.
  Timestamp next = std::max(p.row.due_at + p.row.every, at + milliseconds(1));
  if (const auto* route = config_.route(p.row.route)) {
    const auto severity = engine::parse_severity(
        nlohmann::json::parse(p.row.notice).at("alert").value("severity", std::string("critical")));
    if (p.row.kind == "repeat") next = route->release(severity.value_or(engine::Severity::critical), next);
  }
  if (p.row.until && next > *p.row.until) return std::nullopt;
  return next;
}

}  // namespace sterifleet::notify
