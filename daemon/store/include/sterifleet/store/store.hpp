// Durable records of sterifleet: the journal of inputs (device messages, quarantined payloads, people's
// actions, clock ticks that changed something), the state derived from them (alerts, sessions, cycles,
// commands), API tokens, and the hash-chained audit trail. One interface, one storage test suite, and
// back-ends behind it: SQLite (default, one file); PostgreSQL (scale-out) implements the same.
//
// Thread-safety: a Store is used by one writer at a time (the daemon serialises commits); query
// methods may be called from other threads concurrently with commits (each back-end reads through its
// own connections).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sterifleet/engine/effects.hpp"
#include "sterifleet/protocol/time.hpp"
#include "sterifleet/store/clinic_scope.hpp"
#include "sterifleet/store/outbox.hpp"

namespace sterifleet::store {

using protocol::Timestamp;

/// Raised on any storage failure: the daemon stops rather than acknowledge what it could not keep.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A write refused because the writer's shard lease is no longer held (lost, expired or taken over, by
/// the database's clock): nothing of it was kept, and the caller must stop working on that shard.
class FencedOut : public StoreError {
 public:
  using StoreError::StoreError;
};

/// A page cursor the store did not write (a client's mistake, not a storage failure: answer 400).
class BadCursor : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A device message that passed the codec: sequenced (birth, event, telemetry) or a status (no seq).
struct StoredMessage {
  Timestamp received_at;
  std::string topic;
  std::string payload;
  std::string clinic;
  std::string device;
  std::uint32_t boot = 0;
  std::optional<std::uint64_t> seq;  ///< absent for status messages
  std::optional<Timestamp> ts;       ///< device time; absent for status messages
  std::string type;                  ///< "session.start", ..., "status"
};

struct QuarantinedMessage {
  /// Its quarantine id, decided before the commit so that the alert a rejection raises can name it
  /// (fleet::Fleet numbers them on from StoreStats::quarantined); 0: the store numbers it.
  std::int64_t id = 0;
  Timestamp received_at;
  std::string topic;
  std::string payload;  ///< raw bytes, kept as they came
  std::string reason;   ///< stable code (protocol::Reason or an engine refusal code)
  std::string detail;
};

/// An input that is not a device message: a person's action or a clock tick that changed something.
struct Action {
  Timestamp at;
  std::string actor;  ///< "token:anna", "engine"
  std::string kind;   ///< "acknowledge", "resolve", "manual_reprocessing", "maintenance", "policy", "tick"
  nlohmann::json body;
};

struct TokenRecord {
  std::string id;
  std::string name;  ///< unique among all tokens ever made, revoked ones too
  std::string role;  ///< viewer, manager, auditor, admin
  Timestamp created_at;
  bool revoked = false;
  ClinicScope clinics;  ///< what it may see and act on
};

/// A new token and the SHA-256 (64 lowercase hex digits) of its secret, stored by the commit that
/// carries its audit record.
struct NewToken {
  TokenRecord record;
  std::string sha256_hex;
};

struct IssuedCommand {
  std::string id;
  Timestamp issued_at;
  std::string clinic;
  std::string device;
  std::string topic;
  std::string payload;
};

/// Everything one input produced; committed atomically, all or nothing.
struct Commit {
  std::vector<StoredMessage> messages;
  std::vector<QuarantinedMessage> quarantined;
  std::vector<Action> actions;
  std::vector<engine::AlertChange> alerts;      ///< upsert of each alert's latest state, by id
  std::vector<engine::SessionChange> sessions;  ///< upsert by (pen, session)
  std::vector<engine::CycleChange> cycles;      ///< upsert by cycle key
  std::vector<engine::AuditRecord> audit;       ///< appended to the chain in this order
  std::vector<IssuedCommand> commands;
  std::vector<OutboxCancel> cancellations;  ///< applied before the new notifications are added
  std::vector<OutboxRow> notifications;
  /// Tokens are written with the audit records of their creation and revocation: one transaction.
  /// A name already taken, or a hash that is not 64 lowercase hex digits, fails the commit.
  std::vector<NewToken> new_tokens;
  std::vector<std::string> revoked_tokens;  ///< ids
  /// A cluster's lobby_messages rows whose messages this commit judged (PostgreSQL only): deleted in it,
  /// so a message leaves the lobby exactly when its judgement is stored, a redelivery included.
  std::vector<std::int64_t> lobby_taken;
  /// In a cluster (PostgreSQL), the API command this commit executes (cluster/api_commands.hpp): the
  /// same transaction marks it done, so that no owner applies it twice. A command that is not running
  /// under the writer's epoch fails the commit. SQLite, which has no API commands, refuses it.
  std::optional<std::int64_t> api_command;

  bool empty() const {
    return messages.empty() && quarantined.empty() && actions.empty() && alerts.empty() && sessions.empty() &&
           cycles.empty() && audit.empty() && commands.empty() && cancellations.empty() && notifications.empty() &&
           new_tokens.empty() && revoked_tokens.empty() && lobby_taken.empty() && !api_command;
  }
};

/// One journal entry for rebuilding the engine on restart, in commit order.
struct JournalEntry {
  std::int64_t commit;  ///< commit sequence number, increasing
  std::variant<StoredMessage, QuarantinedMessage, Action> input;
};

/// The engine's state as of a journal position: a restart loads the newest one and replays only the
/// journal after it (fleet::Fleet::restore). Opaque to the store, which checksums the bytes it keeps.
struct Snapshot {
  std::int64_t commit = 0;  ///< the last commit whose inputs it reflects
  Timestamp taken_at{};
  std::string state;  ///< engine::Engine::snapshot()
};

/// A stored snapshot whose bytes are not the ones saved (its checksum fails): use an older one.
class DamagedSnapshot : public StoreError {
 public:
  DamagedSnapshot(std::int64_t commit, const std::string& what) : StoreError(what), commit_(commit) {}
  std::int64_t commit() const noexcept { return commit_; }

 private:
  std::int64_t commit_;
};

struct AuditHead {
  std::int64_t seq = 0;  ///< 0 for an empty trail
  std::string hash;      ///< hex SHA-256; 64 zeros for an empty trail
};

/// The chain of the fleet's own records (policy, tokens) and of the anchors of the clinic chains; the
/// one chain of a store that keeps one (SQLite: a single writer, nothing to fork).
inline constexpr std::string_view fleet_chain = "fleet";
/// A cluster's store chains a clinic's records apart: "clinic:<id>".
inline std::string clinic_chain(std::string_view clinic) { return "clinic:" + std::string(clinic); }
/// What the fleet chain's anchor of the clinic chains is, as entity and action.
inline constexpr std::string_view anchor_entity = "audit";
inline constexpr std::string_view anchor_action = "anchor";

struct AuditVerification {
  bool intact = true;
  std::int64_t records = 0;               ///< records checked and found intact, in every chain
  std::optional<std::int64_t> first_bad;  ///< seq of the first record whose hash or link does not match
                                          ///< (or that is missing)
  std::string first_bad_chain;            ///< the chain of first_bad
  std::string problem;                    ///< what is wrong with it, one sentence
  AuditHead head;                         ///< the fleet chain's head the store recorded with its last commit
  /// False when the fleet chain's walk stopped at a record that is missing, does not link or does not
  /// hash; true when its records 1..fleet_records are the whole chain and consistent (it may still end
  /// elsewhere than `head`). Checkpoints sign the fleet chain, and are compared with these.
  bool walked_to_end = true;
  std::int64_t fleet_records = 0;
  std::int64_t chains = 0;  ///< chains walked (the fleet chain and each clinic's)
  /// Records of clinic chains after the last anchor of their chain: intact, but no checkpoint can cover
  /// them yet (their shard's owner anchors them within audit.anchor_interval_s).
  std::int64_t unanchored = 0;
};

/// The largest page a query returns; larger limits are clamped to it (and 0 to 1).
inline constexpr std::size_t max_page_limit = 10000;

/// Keyset pagination: pass the last row's cursor back to get the next page.
struct Page {
  std::size_t limit = 100;
  std::string after;  ///< empty: from the start; otherwise a `Rows::next` (else BadCursor)
};

struct AlertQuery {
  std::optional<std::string> state;  ///< open, acknowledged, resolved, withdrawn
  std::optional<std::string> rule;
  std::optional<std::string> clinic;
  std::optional<std::string> device;
  std::optional<Timestamp> from;  ///< opened at or after
  std::optional<Timestamp> to;    ///< opened before
  Page page;
  ClinicScope scope;  ///< the caller's clinics, besides `clinic`
};

struct RecordQuery {
  std::optional<std::string> clinic;
  std::optional<std::string> device;  ///< pen for sessions, sterilizer for cycles
  std::optional<Timestamp> from;      ///< started / completed / received / issued at or after
  std::optional<Timestamp> to;        ///< before
  Page page;
  ClinicScope scope;  ///< the caller's clinics, besides `clinic` (quarantined rows without one: only all)
};

/// Which audit records a listing shows.
struct AuditFilter {
  std::optional<std::string> clinic;  ///< only this clinic's records
  std::optional<std::string> actor;   ///< who: "token:ann", "device:PEN-01", "daemon" ...
  std::optional<std::string> action;  ///< what was done: "acknowledge", "report" ...
  std::optional<std::string> entity;  ///< what it was done to: "alert:17", "report:<sha256>" ...
  std::optional<Timestamp> from;      ///< at or after
  std::optional<Timestamp> to;        ///< before
  ClinicScope scope;                  ///< the caller's clinics: a limited one never shows the fleet's records
};

/// A RecordQuery's filters without its page: what a scan visits.
struct RecordFilter {
  std::optional<std::string> clinic;
  std::optional<std::string> device;  ///< pen for sessions, sterilizer for cycles
  std::optional<Timestamp> from;      ///< at or after
  std::optional<Timestamp> to;        ///< before
};

/// Receives one row's JSON text, compact with sorted keys (the text a page's row is parsed from); the
/// view is valid only during the call.
using RowVisitor = std::function<void(std::string_view row)>;

/// A page of rows (JSON objects, documented in the OpenAPI description) and the cursor for the next.
struct Rows {
  std::vector<nlohmann::json> rows;
  std::string next;  ///< empty on the last page
};

struct StoreStats {
  std::int64_t messages = 0;
  std::int64_t quarantined = 0;
  std::int64_t alerts = 0;
  std::int64_t audit_records = 0;
  std::int64_t bytes = 0;  ///< on disk
};

class Store {
 public:
  virtual ~Store() = default;

  // --- write side (one writer) ---
  /// All of it in one transaction, numbered one above the last; returns that number, the commit's
  /// position in the journal. An empty Commit is not stored (the last commit's number is returned).
  /// Throws StoreError (nothing of it kept), e.g. for a command whose id is already stored, and FencedOut
  /// when the writer no longer holds its shard's lease (PostgreSQL). A message key stored before is not
  /// looked for: the engine refuses a duplicate before it reaches a commit.
  virtual std::int64_t commit(const Commit& commit) = 0;
  /// Several commits in one transaction, each numbered and journaled as commit() would, so grouping
  /// changes nothing but the cost. `receipt`, when given, is the last of the ingest's receipts whose
  /// messages are in this group or before it (see last_receipt()). Returns the last commit's number.
  virtual std::int64_t commit_group(std::span<const Commit> commits, std::optional<std::int64_t> receipt) = 0;
  /// The receipt recorded by the latest commit_group(): the ingest re-runs the receipts after it.
  virtual std::int64_t last_receipt() = 0;
  /// The payload stored for a sequenced message, to tell a redelivery from a conflicting reuse.
  virtual std::optional<std::string> stored_payload(const std::string& device, std::uint32_t boot,
                                                    std::uint64_t seq) = 0;

  // --- restart ---
  virtual void read_journal(std::int64_t after_commit, const std::function<void(const JournalEntry&)>& visit) = 0;
  /// Keeps `snapshot` (replacing one of the same commit) and, of the others, only the newest, so that a
  /// damaged newest snapshot still leaves a recent one. Throws StoreError, also for a commit the journal
  /// has not reached. May run on another thread than commit() (back-ends serialise their writes).
  virtual void save_snapshot(const Snapshot& snapshot) = 0;
  /// The journal up to this commit was judged before fail-safe judging (drift accepted and warned,
  /// rejected events alerted, their sequence numbers counted): 0 for a store that began with it. A
  /// restart replays those entries as they were judged then.
  virtual std::int64_t journal_before_fail_safe() = 0;
  /// The newest snapshot of a commit before `commit`, if any. Throws DamagedSnapshot when its bytes
  /// fail their checksum.
  virtual std::optional<Snapshot> latest_snapshot_before(std::int64_t commit) = 0;
  std::optional<Snapshot> latest_snapshot() { return latest_snapshot_before(std::numeric_limits<std::int64_t>::max()); }

  // --- audit trail ---
  virtual AuditHead audit_head() = 0;
  virtual AuditVerification verify_audit() = 0;
  /// The records after `after` that `filter` lets through, in commit order; `next` is the last one's
  /// position (its seq where there is one chain).
  virtual Rows audit_records(std::int64_t after, std::size_t limit, const AuditFilter& filter) = 0;
  Rows audit_records(std::int64_t after, std::size_t limit) { return audit_records(after, limit, {}); }
  /// Record `seq` of `chain`, as a listing shows it.
  virtual std::optional<nlohmann::json> audit_record(std::string_view chain, std::int64_t seq) = 0;
  /// Appends to the fleet chain one record naming the heads of the clinic chains this writer's shard
  /// moved since their last anchor (nothing when none moved), so that a checkpoint of the fleet chain
  /// covers them; returns how many chains it anchored. A store of one chain has none to anchor.
  /// Throws StoreError (FencedOut when the lease went).
  virtual std::size_t anchor_audit_chains(Timestamp at) = 0;

  // --- queries ---
  // Rows: alerts, sessions and cycles in the engine's to_json() forms; the others are
  //   messages:   {id, commit, received_at, topic, payload (the text as received), clinic, device, boot,
  //                seq|null, ts|null, type, key ("<device>/<boot>/<seq>")|null}
  //   quarantine: {id, commit, received_at, topic, payload (text; null when not UTF-8, and then
  //                payload_hex), reason, detail, clinic|null, device|null (from the topic)}
  //   commands:   {id, issued_at, clinic, device, topic, payload}
  //   audit:      {chain, seq, at, actor, entity, action, before, after, cause, clinic|null (null: the
  //                fleet's), prev_hash, hash}
  // with times as protocol::format_timestamp writes them. A bad Page::after throws BadCursor.
  virtual Rows alerts(const AlertQuery& query) = 0;  ///< newest first by opened_at
  virtual std::optional<nlohmann::json> alert(const std::string& id) = 0;
  virtual Rows sessions(const RecordQuery& query) = 0;  ///< by start time, ascending
  virtual Rows cycles(const RecordQuery& query) = 0;    ///< by cycle time, ascending
  virtual std::optional<nlohmann::json> cycle(const std::string& key) = 0;
  /// Every session (cycle) `filter` matches, in the order sessions() (cycles()) pages them, for exports
  /// of a million rows: one statement in one read transaction, so the rows are one consistent view and
  /// none is parsed or copied by the store. Back-ends stream them (SQLite steps its statement; a
  /// PostgreSQL back-end would fetch from a cursor). The view is held until the scan returns, which
  /// keeps the SQLite WAL from being checkpointed past it. `visit` may query the store. Throws
  /// StoreError, and what `visit` throws.
  virtual void scan_sessions(const RecordFilter& filter, const RowVisitor& visit) = 0;
  virtual void scan_cycles(const RecordFilter& filter, const RowVisitor& visit) = 0;
  virtual Rows messages(const RecordQuery& query) = 0;    ///< a device's raw history, newest first
  virtual Rows quarantine(const RecordQuery& query) = 0;  ///< newest first; clinic/device from the topic
  virtual std::optional<nlohmann::json> quarantined(std::int64_t id) = 0;  ///< one quarantine row
  virtual std::map<std::string, std::int64_t> quarantine_counts() = 0;     ///< by reason
  virtual Rows commands(const RecordQuery& query) = 0;                     ///< newest first
  virtual StoreStats stats() = 0;

  // --- quarantine ids, decided by the writer before its commit (QuarantinedMessage::id) ---
  /// The last id this writer's quarantine rows took; none yet: the id its numbering starts after.
  virtual std::int64_t last_quarantine_id() = 0;
  /// The id after `id` for this writer: ids stay unique when several writers (shards) share one store.
  virtual std::int64_t quarantine_id_after(std::int64_t id) const = 0;

  // --- notification outbox (outbox.hpp): filled by commits, worked off by the dispatcher ---
  // Its writes are serialised with commits by the back-end, so the dispatcher may call them from its own
  // thread.
  /// Pending rows due at or before `until`, earliest first, at most `limit`.
  virtual std::vector<PendingNotification> due_notifications(Timestamp until, std::size_t limit) = 0;
  /// When the earliest pending row is due; none when nothing is pending.
  virtual std::optional<Timestamp> next_notification_due() = 0;
  /// Records the attempts, each kept in the row's history, in one transaction. An attempt on a row that
  /// is no longer pending in that round (cancelled meanwhile) only joins the history.
  virtual void record_attempts(std::span<const DeliveryAttempt> attempts) = 0;
  /// A receiver that asked never to be sent to again: remembered, and its pending rows become dead with
  /// `answer`; returns them as they were (each is a notification nobody got, to be reported).
  /// enable_receiver() forgets it (its dead rows stay dead).
  virtual std::vector<PendingNotification> disable_receiver(const std::string& receiver, Timestamp at,
                                                            const std::string& answer) = 0;
  virtual bool enable_receiver(const std::string& receiver) = 0;
  /// Disabled receivers: name -> {"at", "answer"}.
  virtual std::map<std::string, nlohmann::json> disabled_receivers() = 0;
  /// Rows, newest first: {id, alert_id, clinic, receiver, kind, route, created_at, due_at, state, round,
  /// attempts, last_attempt_at, last_status, last_answer, delivered_at, notice, history: [{round, at,
  /// result, status, answer, latency_ms}]}.
  virtual std::vector<nlohmann::json> notifications(const NotificationQuery& query) = 0;
  /// Rows of the clinics in `scope` by state ("pending", "delivered", "dead", "cancelled").
  virtual std::map<std::string, std::int64_t> notification_counts(const ClinicScope& scope) = 0;

  // --- API tokens (only their SHA-256 is stored; written by commits, Commit::new_tokens) ---
  virtual std::optional<TokenRecord> token_by_hash(const std::string& sha256_hex) = 0;
  virtual std::vector<TokenRecord> tokens() = 0;
};

struct SqliteOptions {
  /// "NORMAL" survives a killed process (the WAL is in the OS before commit returns); "FULL" also
  /// survives power loss, at a cost per commit.
  std::string synchronous = "NORMAL";
  int busy_timeout_ms = 5000;
  int cache_kib = 16384;   ///< page cache of the writing connection (each reader gets a quarter)
  bool read_only = false;  ///< for audit verify and reports: no migration, commit() throws; the file must exist
  /// Messages stored before their (device, boot, seq) keys are indexed, all at once: a device's index row
  /// is then written once a batch instead of once a transaction. Listing a device's messages scans the
  /// rows not indexed yet (about this many at most).
  std::size_t key_batch = 20000;
};

/// Opens (creating and migrating as needed) a SQLite store. Throws StoreError.
std::unique_ptr<Store> open_sqlite(const std::string& path, const SqliteOptions& options = {});

/// The writer of one shard: it holds the shard's lease with this epoch (daemon/cluster claims it).
struct ShardWriter {
  int shard = 0;
  std::int64_t epoch = 0;
  std::string owner;  ///< the daemon's id, as in the lease
  /// PostgreSQL ends the writer's session when it sits this long inside a transaction (0: never). A
  /// paused owner's open transaction holds its lease row FOR SHARE, so without a limit the next owner's
  /// claim would wait for as long as the pause lasts.
  std::chrono::milliseconds stall_limit{0};
};

namespace postgresql {
class ReaderPool;
}
/// Reading connections to one PostgreSQL database, shared by several read-only stores (a daemon's
/// replicas of every shard of a cluster), so that their number does not grow with the shards.
using PostgresReaders = postgresql::ReaderPool;
/// At most `connections`, opened as reads need them. Throws StoreError for fewer than one.
std::shared_ptr<PostgresReaders> open_postgresql_readers(const std::string& url, int connections);
/// Each shard's last commit number (0: none yet), for shards 0 to shards - 1, in one query. Throws
/// StoreError.
std::vector<std::int64_t> postgresql_last_commits(PostgresReaders& readers, int shards);

struct PostgresOptions {
  /// None: read-only (queries, audit verify, reports); commit(), the outbox's reads and writes throw, but
  /// for enable_receiver(): receivers are the fleet's, enabled by a person through any daemon's API.
  /// A writer works off only its shard's outbox (due rows, attempts, receivers' rows it buries).
  std::optional<ShardWriter> writer;
  /// Read-only, yet bound to one shard (ignored with a writer, which is bound to its own): its journal
  /// and snapshots can be read, as a replica of the shard rebuilds and follows its state.
  std::optional<int> shard = std::nullopt;
  int readers = 4;  ///< reading connections, opened as queries need them
  /// Connections shared with other stores of the same URL, instead of `readers` of its own.
  std::shared_ptr<PostgresReaders> shared_readers = nullptr;
};

/// Opens (migrating as needed, unless read-only) a PostgreSQL store at a libpq URL. Throws StoreError.
std::unique_ptr<Store> open_postgresql(const std::string& url, const PostgresOptions& options = {});
/// Migrates the PostgreSQL schema to the latest version, as a writer's open does: a cluster node needs
/// the lease and clinic tables before it holds any shard. Throws StoreError.
void migrate_postgresql(const std::string& url);

/// Opens the store at `place`: a postgresql:// or postgres:// URL, else a SQLite file path.
std::unique_ptr<Store> open_store(const std::string& place, const SqliteOptions& sqlite = {},
                                  const PostgresOptions& postgresql = {});

/// A kept payload in a JSON row, as the queries write it: "payload" is its text when it is UTF-8; else
/// "payload" is null and "payload_hex" holds its bytes.
void put_payload(nlohmann::json& row, std::string_view payload);

/// The canonical bytes an audit record is hashed over: the RFC 8785 form of {seq, at, actor, entity,
/// action, before, after, cause, clinic, prev} (canonical_json.hpp), of the record as stored: text that is
/// not UTF-8 holds U+FFFD in place of the bad bytes, a number that is not finite is null. `clinic` is
/// left out when empty, so records of the fleet, and every record stored before records named their
/// clinic, hash as they always did.
std::string audit_canonical(std::int64_t seq, const engine::AuditRecord& record, const std::string& prev_hash);
/// SHA-256(prev_hash || canonical), hex: the record's hash.
std::string audit_hash(const std::string& prev_hash, const std::string& canonical);

}  // namespace sterifleet::store
