// The SQLite back-end of Store: one writing connection with its statements prepared once, and a
// pool of reading connections so that queries never wait for a commit (WAL). Design: sqlite_store.cpp.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "checkpointer.hpp"
#include "connection.hpp"
#include "reader_pool.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::store::sqlite {

/// Times are stored as integer milliseconds since the Unix epoch.
inline std::int64_t millis(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp from_millis(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

/// A stored message whose key is not yet in message_keys (see SqliteStore::index_tail).
struct TailKey {
  std::string device;
  std::uint32_t boot = 0;
  std::uint64_t seq = 0;
  std::int64_t id = 0;  ///< in messages
};

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::string& path, const SqliteOptions& options);
  ~SqliteStore() override;

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
  std::int64_t quarantine_id_after(std::int64_t id) const override { return id + 1; }

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

 public:
  struct Writer;  ///< the writing connection and its statements (writer.hpp)

 private:
  /// What the writer keeps in memory between commits: the last commit's number and the chain's head.
  struct Counters {
    std::int64_t commit_seq = 0;
    AuditHead audit;
  };

  Writer& writer();
  /// From the file: after open, and whenever another connection has written to it since our last commit.
  Counters read_counters();
  bool written_by_others();
  std::int64_t data_version();
  /// One commit's rows, numbered next; true when the meta row must be rewritten for it.
  bool write(Writer& w, Counters& next, const Commit& commit);
  /// A commit's outbox changes, in its transaction (sqlite_outbox.cpp).
  static void write_outbox(Connection& db, std::int64_t n, const Commit& commit);
  /// Moves the keys of the tail's first `most` messages (all: nullopt) into message_keys, in the open
  /// write transaction; returns how many.
  std::size_t index_tail(Writer& w, std::optional<std::size_t> most);
  struct TailLookup {
    std::optional<std::int64_t> id;  ///< of the message in the tail with that key
    bool complete;                   ///< no id means not in the tail (else: another writer's, unknown)
  };
  TailLookup find_in_tail(const std::string& device, std::uint32_t boot, std::uint64_t seq);
  /// messages() of one device, from its message_keys rows and the tail.
  Rows device_messages(const RecordQuery& query);

  // Destroyed bottom up: readers, then the checkpointer (it hooks into the writer), then the writer,
  // which as the last connection checkpoints and removes the WAL.
  std::string path_;
  std::mutex write_mutex_;  ///< one commit at a time; never held by readers
  std::unique_ptr<Writer> writer_;
  Counters counters_;  ///< the writer's; guarded by write_mutex_
  // The tail: messages stored past message_keys_position. Guarded by write_mutex_.
  std::size_t key_batch_;
  std::size_t tail_size_ = 0;  ///< messages this writer stored since it last indexed
  std::vector<TailKey> tail_;  ///< their keys (sequenced messages only), for duplicate lookups
  bool tail_known_ = false;    ///< tail_ holds the whole tail: nobody else stored messages since
  std::unique_ptr<Checkpointer> checkpointer_;
  ReaderPool readers_;
};

}  // namespace sterifleet::store::sqlite
