// Which shard leases a daemon holds, when it renews them, and when it must stop working on one: the
// decisions only, on an injected steady clock, without I/O (LeaseRunner does the SQL). Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "sterifleet/cluster/lease_table.hpp"

namespace sterifleet::cluster {

struct LeaseTiming {
  std::chrono::milliseconds ttl{10'000};
  std::chrono::milliseconds renew_interval{2'000};
  /// A lease is given up locally this long before the database would let it expire, counted from when
  /// the renew that extended it was sent: the daemon has stopped before anyone else may claim.
  std::chrono::milliseconds safety_margin{2'000};
  /// A daemon whose heartbeat is older is gone; a daemon over its share for this long hands shards over.
  std::chrono::milliseconds live_window{10'000};
};

/// Throws std::invalid_argument unless renews come before the local deadline and heartbeats (one a renew
/// interval) within the live window.
void validate(const LeaseTiming& timing);

struct HeldLease {
  int shard = 0;
  Epoch epoch = 0;
  friend bool operator==(const HeldLease&, const HeldLease&) = default;
};

/// The shard is ours with this epoch: load its snapshot, replay, start.
struct Gained {
  HeldLease lease;
};
/// Stop working on the shard now: a renew was refused or the local deadline passed without one.
struct Lost {
  HeldLease lease;
};
/// Over our share: stop the shard, snapshot it, then LeaseKeeper::hand_back so it is released.
struct ReleaseWanted {
  HeldLease lease;
};
/// Released cleanly in the database: another daemon may claim it at once.
struct Released {
  HeldLease lease;
};
using LeaseEvent = std::variant<Gained, Lost, ReleaseWanted, Released>;

/// What the database showed at the start of a round.
struct ClusterView {
  std::vector<std::string> live;  ///< ids of the daemons that heartbeat within the live window
  std::vector<LeaseRow> leases;
};

/// The SQL of one round, in this order: renew, release, adopt, claim.
struct Round {
  std::vector<HeldLease> renew;
  std::vector<HeldLease> release;  ///< handed back by the owner
  /// Lost at the local deadline while perhaps still ours in the database: released (best effort) so that
  /// another daemon need not wait for the expiry.
  std::vector<HeldLease> abandon;
  /// Leases nobody works on: expired, or held by a dead session (its advisory lock is free). Taken even
  /// over the share: a shard without an owner stores nothing; the share is restored later.
  std::vector<int> adopt;
  /// Free leases of shards with clinics, tried in order until judging_claims_wanted succeeded, before...
  std::vector<int> claim_judging;
  std::size_t judging_claims_wanted = 0;
  std::vector<int> claim;  ///< ...the free leases of the others, tried in order until claims_wanted succeeded
  std::size_t claims_wanted = 0;
  std::vector<LeaseEvent> events;
};

class LeaseKeeper {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  LeaseKeeper(std::string daemon_id, int shards, LeaseTiming timing);

  /// Expires what is overdue, then plans the round; without a view (the database could not be read)
  /// only renews and releases.
  Round plan(TimePoint now, const std::optional<ClusterView>& view);

  std::vector<LeaseEvent> claimed(HeldLease lease, TimePoint sent_at);
  /// The outcome of the renew sent at sent_at; nothing is reported for a renew that failed with an error
  /// (the deadline decides).
  std::vector<LeaseEvent> renewed(HeldLease lease, TimePoint sent_at, bool still_ours);
  std::vector<LeaseEvent> released(HeldLease lease);
  /// The owner stopped the shard and saved its snapshot: release it in the next round.
  void hand_back(HeldLease lease);
  /// Every held lease whose local deadline has passed, lost.
  std::vector<LeaseEvent> expire(TimePoint now);

  /// Whether the daemon may still work on the shard with this epoch at `now`.
  bool holds(HeldLease lease, TimePoint now) const;
  std::optional<TimePoint> next_deadline() const;
  /// When the next renew is due (nullopt: nothing held).
  std::optional<TimePoint> next_renew() const;
  std::vector<HeldLease> held() const;

  /// At most this many shards per daemon: ceil(shards / live daemons). The shards with clinics and the
  /// others are shared apart, so that the work (clinics' messages) spreads over the daemons: with 32
  /// shards, 3 of them with clinics, and 3 daemons, each judges one.
  static std::size_t share(int shards, std::size_t live_daemons);

 private:
  struct Holding {
    Epoch epoch = 0;
    TimePoint last_sent;  ///< of the claim or the latest successful renew
    TimePoint deadline;
    bool releasing = false;
    bool handed_back = false;
  };

  /// This daemon's share of the shards with clinics, and of the others.
  struct Shares {
    std::size_t judging = 0;
    std::size_t other = 0;
  };
  std::vector<int> choose_releases(TimePoint now, Shares shares, const std::set<int>& judging);
  void plan_claims(const ClusterView& view, Shares shares, const std::set<int>& judging, Round& round) const;

  std::string daemon_id_;
  int shards_;
  LeaseTiming timing_;
  std::map<int, Holding> held_;
  std::vector<HeldLease> abandoned_;
  std::optional<TimePoint> over_since_;
};

}  // namespace sterifleet::cluster
