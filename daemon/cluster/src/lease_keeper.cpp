#include "sterifleet/cluster/lease_keeper.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <utility>

namespace sterifleet::cluster {

void validate(const LeaseTiming& timing) {
  using std::chrono::milliseconds;
  if (timing.ttl <= milliseconds::zero() || timing.renew_interval <= milliseconds::zero() ||
      timing.safety_margin < milliseconds::zero() || timing.live_window <= milliseconds::zero()) {
    throw std::invalid_argument(
        "lease timing: the ttl, renew interval and live window must be positive, the margin not negative");
  }
  // The next renew must be sent before the local deadline the previous one set, with time left for it.
  if (timing.renew_interval >= timing.ttl - timing.safety_margin) {
    throw std::invalid_argument("lease timing: the renew interval (" + std::to_string(timing.renew_interval.count()) +
                                " ms) must be shorter than the ttl minus the safety margin (" +
                                std::to_string((timing.ttl - timing.safety_margin).count()) + " ms)");
  }
  // Daemons heartbeat once a renew interval: a shorter window would count live daemons as gone.
  if (timing.live_window <= timing.renew_interval) {
    throw std::invalid_argument("lease timing: the live window (" + std::to_string(timing.live_window.count()) +
                                " ms) must be longer than the renew interval (" +
                                std::to_string(timing.renew_interval.count()) + " ms)");
  }
}

LeaseKeeper::LeaseKeeper(std::string daemon_id, int shards, LeaseTiming timing)
    : daemon_id_(std::move(daemon_id)), shards_(shards), timing_(timing) {
  if (shards_ < 1) throw std::invalid_argument("lease keeper: at least one shard");
  validate(timing_);
}

std::size_t LeaseKeeper::share(int shards, std::size_t live_daemons) {
  const auto daemons = std::max<std::size_t>(live_daemons, 1);
  return (static_cast<std::size_t>(shards) + daemons - 1) / daemons;
}

Round LeaseKeeper::plan(TimePoint now, const std::optional<ClusterView>& view) {
  Round round;
  round.events = expire(now);
  round.abandon = std::exchange(abandoned_, {});
  for (const auto& [shard, holding] : held_) {
    if (holding.handed_back) {
      round.release.push_back({shard, holding.epoch});
    } else if (now - holding.last_sent >= timing_.renew_interval) {
      round.renew.push_back({shard, holding.epoch});
    }
  }
  if (!view) return round;
  std::set<std::string> live(view->live.begin(), view->live.end());
  live.insert(daemon_id_);
  std::set<int> judging;
  for (const auto& lease : view->leases) {
    if (lease.judges_clinics) judging.insert(lease.shard);
  }
  const auto judging_count = static_cast<int>(judging.size());
  const Shares shares{share(judging_count, live.size()), share(shards_ - judging_count, live.size())};
  for (const int shard : choose_releases(now, shares, judging)) {
    auto& holding = held_.at(shard);
    holding.releasing = true;
    round.events.emplace_back(ReleaseWanted{{shard, holding.epoch}});
  }
  plan_claims(*view, shares, judging, round);
  return round;
}

std::vector<int> LeaseKeeper::choose_releases(TimePoint now, Shares shares, const std::set<int>& judging) {
  std::size_t staying_judging = 0;
  std::size_t staying_other = 0;
  for (const auto& [shard, holding] : held_) {
    if (!holding.releasing) ++(judging.contains(shard) ? staying_judging : staying_other);
  }
  if (staying_judging <= shares.judging && staying_other <= shares.other) {
    over_since_.reset();
    return {};
  }
  // Waiting a live window first keeps shards adopted from a daemon that just died (still counted live
  // until its heartbeat ages) from being handed to nobody.
  if (!over_since_) over_since_ = now;
  if (now - *over_since_ < timing_.live_window) return {};
  auto judging_over = staying_judging > shares.judging ? staying_judging - shares.judging : 0;
  auto other_over = staying_other > shares.other ? staying_other - shares.other : 0;
  std::vector<int> chosen;
  for (auto it = held_.rbegin(); it != held_.rend(); ++it) {
    if (it->second.releasing) continue;
    auto& over = judging.contains(it->first) ? judging_over : other_over;
    if (over == 0) continue;
    chosen.push_back(it->first);
    --over;
  }
  over_since_.reset();
  return chosen;
}

void LeaseKeeper::plan_claims(const ClusterView& view, Shares shares, const std::set<int>& judging,
                              Round& round) const {
  std::size_t held_judging = 0;
  for (const auto& [shard, holding] : held_)
    if (judging.contains(shard)) ++held_judging;
  const std::size_t held_other = held_.size() - held_judging;
  for (const auto& lease : view.leases) {
    if (held_.count(lease.shard) != 0) continue;
    const bool expired = lease.owner && !lease.held;
    const bool orphaned = lease.held && !lease.locked;
    if (expired || orphaned) {
      round.adopt.push_back(lease.shard);
    } else if (!lease.owner) {
      (lease.judges_clinics ? round.claim_judging : round.claim).push_back(lease.shard);
    }
  }
  if (held_judging < shares.judging) round.judging_claims_wanted = shares.judging - held_judging;
  if (held_other < shares.other) round.claims_wanted = shares.other - held_other;
}

std::vector<LeaseEvent> LeaseKeeper::claimed(HeldLease lease, TimePoint sent_at) {
  std::vector<LeaseEvent> events;
  if (const auto previous = held_.find(lease.shard); previous != held_.end() && previous->second.epoch != lease.epoch) {
    events.emplace_back(Lost{{lease.shard, previous->second.epoch}});
  }
  held_[lease.shard] = Holding{lease.epoch, sent_at, sent_at + timing_.ttl - timing_.safety_margin};
  events.emplace_back(Gained{lease});
  return events;
}

std::vector<LeaseEvent> LeaseKeeper::renewed(HeldLease lease, TimePoint sent_at, bool still_ours) {
  const auto holding = held_.find(lease.shard);
  if (holding == held_.end() || holding->second.epoch != lease.epoch) return {};
  if (!still_ours) {
    held_.erase(holding);
    return {Lost{lease}};
  }
  // The database counts the ttl from when it ran the renew, which is after it was sent: counting from
  // the send, a slow answer only brings the local deadline earlier.
  holding->second.last_sent = std::max(holding->second.last_sent, sent_at);
  holding->second.deadline = std::max(holding->second.deadline, sent_at + timing_.ttl - timing_.safety_margin);
  return {};
}

std::vector<LeaseEvent> LeaseKeeper::released(HeldLease lease) {
  const auto holding = held_.find(lease.shard);
  if (holding == held_.end() || holding->second.epoch != lease.epoch) return {};
  held_.erase(holding);
  return {Released{lease}};
}

void LeaseKeeper::hand_back(HeldLease lease) {
  const auto holding = held_.find(lease.shard);
  if (holding != held_.end() && holding->second.epoch == lease.epoch) holding->second.handed_back = true;
}

std::vector<LeaseEvent> LeaseKeeper::expire(TimePoint now) {
  std::vector<LeaseEvent> events;
  for (auto it = held_.begin(); it != held_.end();) {
    if (now >= it->second.deadline) {
      events.emplace_back(Lost{{it->first, it->second.epoch}});
      abandoned_.push_back({it->first, it->second.epoch});
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
  return events;
}

bool LeaseKeeper::holds(HeldLease lease, TimePoint now) const {
  const auto holding = held_.find(lease.shard);
  return holding != held_.end() && holding->second.epoch == lease.epoch && now < holding->second.deadline;
}

std::optional<LeaseKeeper::TimePoint> LeaseKeeper::next_deadline() const {
  std::optional<TimePoint> next;
  for (const auto& [shard, holding] : held_) {
    if (!next || holding.deadline < *next) next = holding.deadline;
  }
  return next;
}

std::optional<LeaseKeeper::TimePoint> LeaseKeeper::next_renew() const {
  std::optional<TimePoint> next;
  for (const auto& [shard, holding] : held_) {
    if (!next || holding.last_sent + timing_.renew_interval < *next) next = holding.last_sent + timing_.renew_interval;
  }
  return next;
}

std::vector<HeldLease> LeaseKeeper::held() const {
  std::vector<HeldLease> leases;
  for (const auto& [shard, holding] : held_) leases.push_back({shard, holding.epoch});
  return leases;
}

}  // namespace sterifleet::cluster
