#include "sterifleet/cluster/lease_runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "sterifleet/protocol/overloaded.hpp"

namespace sterifleet::cluster {

namespace {

LeaseTableOptions with_ttl(LeaseTableOptions table, const LeaseTiming& timing) {
  table.ttl = timing.ttl;
  return table;
}

}  // namespace

LeaseRunner::LeaseRunner(LeaseRunnerOptions options, LeaseHandlers handlers)
    : options_(std::move(options)),
      handlers_(std::move(handlers)),
      table_(with_ttl(options_.table, options_.timing)),
      keeper_(options_.table.daemon_id, options_.shards, options_.timing) {
  table_.init(options_.shards);
}

LeaseRunner::~LeaseRunner() { stop(); }

void LeaseRunner::start() {
  const std::lock_guard lock(mutex_);
  if (rounds_.joinable() || stopping_rounds_) return;
  rounds_ = std::thread([this] { run_rounds(); });
  events_thread_ = std::thread([this] { report_events(); });
}

void LeaseRunner::stop() {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_rounds_) return;
    stopping_rounds_ = true;
  }
  rounds_wake_.notify_all();
  if (rounds_.joinable()) rounds_.join();
  for (const auto& lease : held()) {
    try {
      table_.release(lease.shard, lease.epoch);
      const std::lock_guard lock(mutex_);
      push(keeper_.released(lease));
    } catch (const std::exception& e) {
      spdlog::warn("cluster: cannot release shard {} (epoch {}): {}; it is free when it expires", lease.shard,
                   lease.epoch, e.what());
    }
  }
  {
    const std::lock_guard lock(mutex_);
    stopping_events_ = true;
  }
  events_wake_.notify_all();
  if (events_thread_.joinable()) events_thread_.join();
}

void LeaseRunner::hand_back(HeldLease lease) {
  {
    const std::lock_guard lock(mutex_);
    keeper_.hand_back(lease);
    handed_back_ = true;
  }
  rounds_wake_.notify_all();
}

bool LeaseRunner::holds(HeldLease lease) const {
  const std::lock_guard lock(mutex_);
  return keeper_.holds(lease, LeaseKeeper::Clock::now());
}

std::vector<HeldLease> LeaseRunner::held() const {
  const std::lock_guard lock(mutex_);
  return keeper_.held();
}

void LeaseRunner::run_rounds() {
  std::unique_lock lock(mutex_);
  while (!stopping_rounds_) {
    lock.unlock();
    round();
    lock.lock();
    const auto now = LeaseKeeper::Clock::now();
    // After a failure the next round comes sooner, since the deadlines keep running, but not at once:
    // the renews that failed are overdue and would make it a busy loop against a database that is down.
    auto next = now + (round_failed_ ? options_.timing.renew_interval / 4 : options_.timing.renew_interval);
    if (const auto renew = keeper_.next_renew(); renew && !round_failed_) next = std::min(next, std::max(*renew, now));
    // A hand-back is released at once: the daemon taking the shard over waits for it.
    rounds_wake_.wait_until(lock, next, [&] { return stopping_rounds_ || std::exchange(handed_back_, false); });
  }
}

void LeaseRunner::round() {
  using Clock = LeaseKeeper::Clock;
  bool failed = false;
  std::optional<ClusterView> view;
  const auto started = Clock::now();
  try {
    table_.heartbeat(options_.api);
    ClusterView seen;
    for (auto& daemon : table_.live_daemons(options_.timing.live_window)) seen.live.push_back(std::move(daemon.id));
    seen.leases = table_.leases();
    view = std::move(seen);
  } catch (const std::exception& e) {
    spdlog::warn("cluster: cannot read the leases: {}", e.what());
    failed = true;
  }
  Round round;
  {
    const std::lock_guard lock(mutex_);
    round = keeper_.plan(started, view);
    push(std::move(round.events));
  }
  const auto attempt = [&](const char* what, int shard, auto&& operation) {
    try {
      operation();
    } catch (const std::exception& e) {
      spdlog::warn("cluster: cannot {} shard {}: {}", what, shard, e.what());
      failed = true;
    }
  };
  for (const auto& lease : round.renew) {
    attempt("renew", lease.shard, [&] {
      const auto sent = Clock::now();
      const bool ours = table_.renew(lease.shard, lease.epoch);
      const std::lock_guard lock(mutex_);
      push(keeper_.renewed(lease, sent, ours));
    });
  }
  for (const auto& lease : round.abandon) {
    attempt("release", lease.shard, [&] { table_.release(lease.shard, lease.epoch); });
  }
  for (const auto& lease : round.release) {
    attempt("release", lease.shard, [&] {
      table_.release(lease.shard, lease.epoch);
      const std::lock_guard lock(mutex_);
      push(keeper_.released(lease));
    });
  }
  const auto claim = [&](int shard) {
    bool gained = false;
    attempt("claim", shard, [&] {
      const auto sent = Clock::now();
      if (const auto epoch = table_.claim(shard)) {
        const std::lock_guard lock(mutex_);
        push(keeper_.claimed({shard, *epoch}, sent));
        gained = true;
      }
    });
    return gained;
  };
  for (const int shard : round.adopt) claim(shard);
  const auto claim_some = [&](const std::vector<int>& shards, std::size_t wanted) {
    std::size_t claimed = 0;
    for (auto shard = shards.begin(); shard != shards.end() && claimed < wanted; ++shard) {
      if (claim(*shard)) ++claimed;
    }
  };
  claim_some(round.claim_judging, round.judging_claims_wanted);
  claim_some(round.claim, round.claims_wanted);
  const std::lock_guard lock(mutex_);
  round_failed_ = failed;
}

void LeaseRunner::push(std::vector<LeaseEvent> events) {
  if (events.empty()) return;
  std::move(events.begin(), events.end(), std::back_inserter(events_));
  events_wake_.notify_all();
}

void LeaseRunner::report_events() {
  std::unique_lock lock(mutex_);
  while (true) {
    push(keeper_.expire(LeaseKeeper::Clock::now()));
    if (!events_.empty()) {
      const auto event = std::move(events_.front());
      events_.pop_front();
      lock.unlock();
      dispatch(event);
      lock.lock();
      continue;
    }
    if (stopping_events_) return;
    if (const auto deadline = keeper_.next_deadline()) {
      events_wake_.wait_until(lock, *deadline);
    } else {
      events_wake_.wait(lock);
    }
  }
}

void LeaseRunner::dispatch(const LeaseEvent& event) const {
  const auto call = [](const std::function<void(HeldLease)>& handler, HeldLease lease) {
    if (handler) handler(lease);
  };
  std::visit(Overloaded{
                 [&](const Gained& e) {
                   spdlog::info("cluster: shard {} gained (epoch {})", e.lease.shard, e.lease.epoch);
                   call(handlers_.gained, e.lease);
                 },
                 [&](const Lost& e) {
                   spdlog::warn("cluster: shard {} lost (epoch {}): its work stops", e.lease.shard, e.lease.epoch);
                   call(handlers_.lost, e.lease);
                 },
                 [&](const ReleaseWanted& e) {
                   spdlog::info("cluster: shard {} (epoch {}) is over this daemon's share: handing it over",
                                e.lease.shard, e.lease.epoch);
                   call(handlers_.release_wanted, e.lease);
                 },
                 [&](const Released& e) {
                   spdlog::info("cluster: shard {} released (epoch {})", e.lease.shard, e.lease.epoch);
                   call(handlers_.released, e.lease);
                 },
             },
             event);
}

}  // namespace sterifleet::cluster
