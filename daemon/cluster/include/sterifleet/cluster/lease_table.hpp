// The shard leases in PostgreSQL (daemon/cluster/README.md): claim, renew and release a shard's lease,
// heartbeats of the daemons, and the listing operators read. Every time is the database's clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace sterifleet::cluster {

/// A lease table that cannot be used as asked: the shard count differs from the database's, the
/// cluster tables are missing, a shard is out of range.
class ClusterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Epoch = std::int64_t;
using SystemMillis = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// One shard's lease as the database holds it now.
struct LeaseRow {
  int shard = 0;
  std::optional<std::string> owner;  ///< nullopt: released or never claimed
  Epoch epoch = 0;
  bool held = false;                       ///< has an owner and has not expired by the database's clock
  bool locked = false;                     ///< some session holds the shard's advisory lock (its owner is alive)
  std::chrono::milliseconds remaining{0};  ///< until expiry, 0 unless held
  std::optional<SystemMillis> expires_at;  ///< nullopt: never (a released lease)
  std::optional<SystemMillis> claimed_at;
  std::optional<SystemMillis> renewed_at;
  bool judges_clinics = false;  ///< some clinic is on the shard (clinic_shards): it has messages to judge
};

struct DaemonRow {
  std::string id;
  std::string api;
  SystemMillis started_at;
  SystemMillis heartbeat_at;
};

struct LeaseTableOptions {
  std::string url;        ///< postgresql://...
  std::string daemon_id;  ///< the owner written in the leases it claims
  std::chrono::milliseconds ttl{10'000};
  /// Each statement ends with an error after this long rather than keep the lease thread past the
  /// deadlines it must act on (a claim waits for a commit in flight, never for longer).
  std::chrono::milliseconds statement_timeout{5'000};
};

/// One connection of its own, opened on first use and again after it broke. The connection's session
/// holds the advisory lock of every shard this daemon owns, so that a claimer can tell a dead owner from
/// a paused one. Not thread-safe: one thread drives it.
class LeaseTable {
 public:
  /// First half of the advisory lock key (pg_advisory_lock(int, int)): the second is the shard.
  static constexpr std::int32_t advisory_class = 0x53464C54;  // "SFLT"

  explicit LeaseTable(LeaseTableOptions options);
  ~LeaseTable();
  LeaseTable(const LeaseTable&) = delete;
  LeaseTable& operator=(const LeaseTable&) = delete;

  /// Records the shard count and one lease row per shard if absent; throws ClusterError if the database
  /// was set up with another count (every clinic's shard would move) or shards is outside 1..1024.
  void init(int shards);

  /// Takes the shard's lease if it is free, expired, or its owner's session is gone (the owner's advisory
  /// lock could be taken: the fast path after a crash). The new epoch, or nullopt if someone holds it.
  std::optional<Epoch> claim(int shard);
  /// Extends the lease by the ttl if it is still ours with this epoch and not expired; false: lost.
  bool renew(int shard, Epoch epoch);
  /// Frees the lease (if still ours with this epoch) and its advisory lock.
  void release(int shard, Epoch epoch);

  /// Records that this daemon is alive, and where its API listens.
  void heartbeat(const std::string& api);
  /// Daemons whose last heartbeat is within `window`, by id.
  std::vector<DaemonRow> live_daemons(std::chrono::milliseconds window);
  /// Every shard's lease, by shard.
  std::vector<LeaseRow> leases();

  const std::string& daemon_id() const { return options_.daemon_id; }

 private:
  struct Session;  // the libpqxx connection (a typedef there, so not declarable here)

  Session& session();
  void forget_connection();
  template <typename Operation>
  auto guarded(Operation&& operation);
  bool try_lock(int shard);
  void unlock(int shard);
  void check_shard(int shard) const;

  LeaseTableOptions options_;
  std::unique_ptr<Session> session_;
  int backend_pid_ = 0;
  std::set<int> locked_;  ///< shards whose advisory lock this connection's session holds
  bool heartbeat_started_ = false;
  int shards_ = 0;
};

}  // namespace sterifleet::cluster
