// The PostgreSQL back-end of Store: one writing connection (a shard's writer, serialised by a mutex
// with the outbox writes) and a small pool of reading connections, so that queries never wait for a
// commit. Design: pg_store.cpp.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "sterifleet/crypto/sha256.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::store::postgresql {

/// Times are stored as bigint milliseconds since the Unix epoch, as in the SQLite back-end.
inline std::int64_t millis(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp from_millis(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

/// The stride between a shard's quarantine ids: ids are n * kQuarantineIdStride + shard (n >= 1), so
/// that shards (at most 1024, the cluster table's bound) never take the same id.
inline constexpr std::int64_t kQuarantineIdStride = 1024;

/// Reading connections opened as queries need them, up to a limit; a query borrows one while it runs.
/// Shared by the stores that read through it (store::PostgresReaders). A thread that holds one already
/// (a replay asks about a stored message while the journal is being read) gets another at once, beyond
/// the limit if need be, rather than wait for itself.
class ReaderPool {
 public:
  ReaderPool(std::string url, int most);

  const std::string& url() const { return url_; }

  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<pqxx::connection> connection, std::thread::id holder)
        : pool_(&pool), connection_(std::move(connection)), holder_(holder) {}
    Lease(Lease&&) = default;
    ~Lease();
    pqxx::connection& operator*() { return *connection_; }

   private:
    ReaderPool* pool_;
    std::unique_ptr<pqxx::connection> connection_;
    std::thread::id holder_;
  };

  /// An idle connection, a new one while fewer than the limit are open, else waits for one.
  Lease acquire();

 private:
  void give_back(std::unique_ptr<pqxx::connection> connection, std::thread::id holder);

  std::string url_;
  int most_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;
  std::map<std::thread::id, int> held_;  ///< the connections each thread holds now
};

class PostgresStore final : public Store {
 public:
  PostgresStore(const std::string& url, const PostgresOptions& options);
  ~PostgresStore() override;

  std::int64_t commit(const Commit& commit) override;
  std::int64_t commit_group(std::span<const Commit> commits, std::optional<std::int64_t> receipt) override;
  std::int64_t last_receipt() override;
  std::int64_t journal_before_fail_safe() override;
  std::optional<std::string> stored_payload(const std::string& device, std::uint32_t boot, std::uint64_t seq) override;
  void read_journal(std::int64_t after_commit, const std::function<void(const JournalEntry&)>& visit) override;
  void save_snapshot(const Snapshot& snapshot) override;
  std::optional<Snapshot> latest_snapshot_before(std::int64_t commit) override;

  AuditHead audit_head() override;
  AuditVerification verify_audit() override;
  Rows audit_records(std::int64_t after, std::size_t limit, const AuditFilter& filter) override;
  using Store::audit_records;
  std::optional<nlohmann::json> audit_record(std::string_view chain, std::int64_t seq) override;
  std::size_t anchor_audit_chains(Timestamp at) override;

  Rows alerts(const AlertQuery& query) override;
  std::optional<nlohmann::json> alert(const std::string& id) override;
  Rows sessions(const RecordQuery& query) override;
  Rows cycles(const RecordQuery& query) override;
  std::optional<nlohmann::json> cycle(const std::string& key) override;
  void scan_sessions(const RecordFilter& filter, const RowVisitor& visit) override;
  void scan_cycles(const RecordFilter& filter, const RowVisitor& visit) override;
  Rows messages(const RecordQuery& query) override;
  Rows quarantine(const RecordQuery& query) override;
  std::optional<nlohmann::json> quarantined(std::int64_t id) override;
  std::map<std::string, std::int64_t> quarantine_counts() override;
  Rows commands(const RecordQuery& query) override;
  StoreStats stats() override;
  std::int64_t last_quarantine_id() override;
  std::int64_t quarantine_id_after(std::int64_t id) const override;

  std::vector<PendingNotification> due_notifications(Timestamp until, std::size_t limit) override;
  std::optional<Timestamp> next_notification_due() override;
  void record_attempts(std::span<const DeliveryAttempt> attempts) override;
  std::vector<PendingNotification> disable_receiver(const std::string& receiver, Timestamp at,
                                                    const std::string& answer) override;
  bool enable_receiver(const std::string& receiver) override;
  std::map<std::string, nlohmann::json> disabled_receivers() override;
  std::vector<nlohmann::json> notifications(const NotificationQuery& query) override;
  std::map<std::string, std::int64_t> notification_counts(const ClinicScope& scope) override;

  std::optional<TokenRecord> token_by_hash(const std::string& sha256_hex) override;
  std::vector<TokenRecord> tokens() override;

 private:
  /// Runs `read(tx)` in a read-only repeatable-read transaction (one consistent view) on a pooled
  /// connection; PostgreSQL's errors become StoreError naming `what`.
  template <class Read>
  auto read(const std::string& what, Read&& read);
  /// Runs `write(tx)` in a transaction on the writer's connection, one at a time, and commits it;
  /// a refused lease becomes FencedOut, other PostgreSQL errors StoreError naming `what`.
  template <class Write>
  auto write(const std::string& what, Write&& write);
  /// Throws FencedOut unless the lease is held now; held FOR SHARE until the transaction ends, so a
  /// claim waits for it. For writes that take no commit number (snapshots, the receipt, the outbox).
  void hold_lease(pqxx::transaction_base& tx);
  /// One audit record chained, stored once its listing position is taken.
  struct ChainedRecord {
    std::int64_t commit = 0;
    std::string chain;
    std::int64_t seq = 0;
    std::int64_t at = 0;  ///< millis
    std::string actor, entity, action, before, after, cause, prev_hash, hash, clinic;
  };
  /// The audit chains a write transaction appends to.
  struct AuditAppend {
    std::map<std::string, AuditHead> heads;                                  ///< locked, as appended so far
    std::vector<std::pair<std::int64_t, const engine::AuditRecord*>> fleet;  ///< (commit, record) to append last
    std::vector<ChainedRecord> records;
    crypto::Sha256 sha256;
    std::string canonical;
  };

  /// One commit's rows, after its fenced commits row; returns its number.
  std::int64_t write_commit(pqxx::transaction_base& tx, const Commit& commit, AuditAppend& audit);
  void append_audit(pqxx::transaction_base& tx, std::int64_t n, const std::string& chain,
                    const engine::AuditRecord& record, AuditAppend& audit);
  void append_fleet_records(pqxx::transaction_base& tx, AuditAppend& audit);
  /// Stores the chained records at the next listing positions and the chains' new heads: last in the
  /// transaction, as the listing's row is every writer's.
  void store_audit(pqxx::transaction_base& tx, AuditAppend& audit);
  void write_tokens(pqxx::transaction_base& tx, std::int64_t n, const Commit& commit);
  const ShardWriter& shard_writer() const;
  /// The shard whose journal and snapshots this store reads: its writer's, or the read-only binding's.
  int bound_shard() const;
  /// The writer's connection, opened again (and its statements prepared) if its session ended.
  pqxx::connection& writer_connection();

  std::string url_;
  std::optional<ShardWriter> writer_;
  std::optional<int> shard_;  ///< the writer's shard, or the read-only binding (PostgresOptions::shard)
  std::mutex write_mutex_;    ///< one write transaction at a time; readers never take it
  std::unique_ptr<pqxx::connection> connection_;  ///< the writer's; none when read-only or lost
  std::shared_ptr<ReaderPool> readers_;           ///< its own, or shared with other stores (PostgresOptions)
};

/// PostgreSQL's error as a StoreError naming what failed; FencedOut for the fencing trigger's SF001.
[[noreturn]] void rethrow_as_store_error(const std::string& what);

template <class Read>
auto PostgresStore::read(const std::string& what, Read&& read) {
  auto connection = readers_->acquire();
  try {
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(*connection);
    return read(static_cast<pqxx::transaction_base&>(tx));
  } catch (const pqxx::pqxx_exception&) {
    rethrow_as_store_error(what);
  }
}

template <class Write>
auto PostgresStore::write(const std::string& what, Write&& write) {
  shard_writer();  // a read-only store has no writer: throws
  std::lock_guard lock(write_mutex_);
  try {
    pqxx::work tx(writer_connection());
    if constexpr (std::is_void_v<decltype(write(tx))>) {
      write(static_cast<pqxx::transaction_base&>(tx));
      tx.commit();
    } else {
      auto result = write(static_cast<pqxx::transaction_base&>(tx));
      tx.commit();
      return result;
    }
  } catch (const pqxx::pqxx_exception&) {
    if (connection_ && !connection_->is_open()) connection_.reset();  // the session ended: the next write opens another
    rethrow_as_store_error(what);
  }
}

}  // namespace sterifleet::store::postgresql
