// The PostgreSQL store: open, migrate, connections, and the small reads.
//
// Design note
// -----------
// * Several daemons share one database, each writing the shards whose leases it holds (daemon/cluster
//   claims them). A store opened with a ShardWriter writes as that shard's owner: every write
//   transaction first takes the shard's row in shard_state FOR UPDATE (writers of one shard take turns,
//   so commit numbers never fork), then inserts one row per commit into `commits`, whose trigger refuses
//   it (SQLSTATE SF001 -> FencedOut) unless the lease is held with that epoch and unexpired by the
//   database's clock, before any other row. The trigger holds the lease row FOR SHARE, so a claim
//   waits for a commit in flight: a commit is either before a takeover (the new owner replays it) or
//   refused. Writes that take no commit number (snapshots, the ingest receipt, the outbox) check the
//   lease the same way (hold_lease).
// * Commit numbers are per shard: the `commits` rows are the numbering, so an alert-only commit takes
//   its number like any other and a failed one takes none (its row rolls back with it). Journal rows
//   (messages, quarantine, actions) carry (shard, commit_seq); a takeover replays its shard's journal.
// * The audit trail is one chain per clinic ("clinic:<id>", appended to only by its shard's owner) and
//   the fleet chain (records of no clinic, from any shard in turn, and the anchors). A chain's head lives
//   in audit_heads, locked by the appender, and (chain, seq) is the primary key, so a chain cannot fork.
//   An anchor (anchor_audit_chains) is a fleet record naming the heads of a shard's clinic chains that
//   moved since their last one: a checkpoint of the fleet chain then covers them. Records are hashed
//   exactly as on SQLite (src/audit_chain.hpp) and verified by the same walk (src/chain_walk.hpp).
// * Quarantine ids must be unique across shards, yet decided before the commit (the alert a rejection
//   raises names its id): shard k numbers n * 1024 + k.
// * Reads run in read-only repeatable-read transactions on a pool of connections, never on the
//   writer's, so a slow report never delays an acknowledgement. The read side itself (pages, filters,
//   cursors) and the outbox live in pg_reads.cpp and pg_outbox.cpp (pg_reads.hpp).
// * Migrations (pg_migrations.cpp) run in one transaction under an advisory lock, at open by a writer;
//   a read-only store only checks the version.
#include "pg_store.hpp"

#include <set>

#include "pg_migrations.hpp"
#include "pg_reads.hpp"

namespace sterifleet::store {

namespace postgresql {

// --- errors ---

void rethrow_as_store_error(const std::string& what) {
  try {
    throw;
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "SF001") throw FencedOut(what + ": " + e.what());
    throw StoreError(what + ": " + e.what());
  } catch (const std::exception& e) {
    throw StoreError(what + ": " + e.what());
  }
}

// --- reading connections ---

ReaderPool::ReaderPool(std::string url, int most) : url_(std::move(url)), most_(std::max(most, 1)) {}

ReaderPool::Lease::~Lease() {
  if (connection_) pool_->give_back(std::move(connection_), holder_);
}

ReaderPool::Lease ReaderPool::acquire() {
  const auto me = std::this_thread::get_id();
  std::unique_lock lock(mutex_);
  // Only threads that hold none wait: those that hold some give them back without waiting for any.
  if (!held_.contains(me)) returned_.wait(lock, [&] { return !idle_.empty() || open_ < most_; });
  ++held_[me];
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return {*this, std::move(connection), me};
  }
  ++open_;
  lock.unlock();
  try {
    return {*this, std::make_unique<pqxx::connection>(url_), me};
  } catch (const std::exception& e) {
    lock.lock();
    --open_;
    if (--held_[me] == 0) held_.erase(me);
    returned_.notify_one();
    throw StoreError(std::string("connecting to PostgreSQL for reading: ") + e.what());
  }
}

void ReaderPool::give_back(std::unique_ptr<pqxx::connection> connection, std::thread::id holder) {
  std::lock_guard lock(mutex_);
  if (--held_[holder] == 0) held_.erase(holder);
  if (connection->is_open() && open_ <= most_) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;  // lost, or opened beyond the limit for a nested read: the next acquire opens a new one
  }
  returned_.notify_one();
}

// --- open ---

namespace {

std::unique_ptr<pqxx::connection> connect(const std::string& url, const std::string& role) {
  try {
    return std::make_unique<pqxx::connection>(url);
  } catch (const std::exception& e) {
    throw StoreError("connecting to PostgreSQL as the " + role + ": " + e.what());
  }
}

// Prepares the commit path's statements once on the writer's connection, and limits how long it may sit
// inside a transaction.
void prepare_writes(pqxx::connection& db, const ShardWriter& writer) {
  if (writer.stall_limit.count() > 0) {
    pqxx::nontransaction setup(db);
    setup.exec_params("SELECT set_config('idle_in_transaction_session_timeout', $1, false)",
                      std::to_string(writer.stall_limit.count()));
  }
  db.prepare("lock_shard", "SELECT 1 FROM shard_state WHERE shard = $1 FOR UPDATE");
  db.prepare("fence",
             "INSERT INTO commits (shard, seq, epoch, owner) "
             "SELECT $1, coalesce(max(seq), 0) + 1, $2, $3 FROM commits WHERE shard = $1 RETURNING seq");
  db.prepare("hold_lease",
             "SELECT 1 FROM shard_leases WHERE shard = $1 AND epoch = $2 AND owner = $3 "
             "AND expires_at > clock_timestamp() FOR SHARE");
  db.prepare("last_commit", "SELECT coalesce(max(seq), 0) FROM commits WHERE shard = $1");
  db.prepare("insert_message",
             "INSERT INTO messages (shard, commit_seq, received_at, topic, payload, clinic, device, boot, seq, ts, "
             "type) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
  db.prepare("next_quarantine_id", "SELECT coalesce(max(id), $1) + $2 FROM quarantine WHERE shard = $1");
  db.prepare("insert_quarantine",
             "INSERT INTO quarantine (id, shard, commit_seq, received_at, topic, payload, reason, detail, clinic, "
             "device) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
  db.prepare("insert_action",
             "INSERT INTO actions (shard, commit_seq, at, actor, kind, body) VALUES ($1, $2, $3, $4, $5, $6)");
  // clinic and rule are part of an alert's id, so they never change on update.
  db.prepare("upsert_alert",
             "INSERT INTO alerts (id, shard, clinic, rule, state, device, opened_at, transition, commit_seq, row) "
             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO UPDATE SET "
             "shard = excluded.shard, state = excluded.state, device = excluded.device, "
             "opened_at = excluded.opened_at, transition = excluded.transition, commit_seq = excluded.commit_seq, "
             "row = excluded.row");
  db.prepare("upsert_session",
             "INSERT INTO sessions (pen, session, shard, clinic, started, commit_seq, row) "
             "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (pen, session) DO UPDATE SET shard = excluded.shard, "
             "clinic = excluded.clinic, started = excluded.started, commit_seq = excluded.commit_seq, "
             "row = excluded.row");
  db.prepare("upsert_cycle",
             "INSERT INTO cycles (key, shard, clinic, sterilizer, ts, commit_seq, row) "
             "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (key) DO UPDATE SET shard = excluded.shard, "
             "clinic = excluded.clinic, sterilizer = excluded.sterilizer, ts = excluded.ts, "
             "commit_seq = excluded.commit_seq, row = excluded.row");
  // Locks the chain's head for this transaction (creating it at the genesis on first use).
  db.prepare("lock_audit_head",
             "INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, 0, $2) "
             "ON CONFLICT (chain) DO UPDATE SET chain = excluded.chain RETURNING seq, hash");
  db.prepare("update_audit_head", "UPDATE audit_heads SET seq = $2, hash = $3, shard = $4 WHERE chain = $1");
  db.prepare("moved_audit_chains",
             "SELECT chain, seq, hash FROM audit_heads WHERE shard = $1 AND chain <> 'fleet' AND seq > anchored_seq "
             "ORDER BY chain");
  db.prepare("mark_anchored", "UPDATE audit_heads SET anchored_seq = $2 WHERE chain = $1");
  db.prepare("insert_audit",
             "INSERT INTO audit (chain, seq, shard, commit_seq, at, actor, entity, action, \"before\", \"after\", "
             "cause, prev_hash, hash, clinic, id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
             "$15)");
  db.prepare("take_audit_positions", "UPDATE audit_listing SET last = last + $1 WHERE id = 1 RETURNING last");
  db.prepare("insert_command",
             "INSERT INTO commands (id, shard, commit_seq, issued_at, clinic, device, topic, payload) "
             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
  db.prepare("update_receipt", "UPDATE shard_state SET receipt = $2 WHERE shard = $1");
  db.prepare("take_lobby_message", "DELETE FROM lobby_messages WHERE id = $1 AND shard = $2");
  // Only the owner that took the command (its epoch) completes it, once.
  db.prepare("complete_api_command",
             "UPDATE api_commands SET state = 'done', commit_seq = $4 "
             "WHERE id = $1 AND shard = $2 AND epoch = $3 AND state = 'running'");
}

}  // namespace

PostgresStore::PostgresStore(const std::string& url, const PostgresOptions& options)
    : url_(url),
      writer_(options.writer),
      shard_(options.writer ? std::optional(options.writer->shard) : options.shard),
      readers_(options.shared_readers ? options.shared_readers : std::make_shared<ReaderPool>(url, options.readers)) {
  if (shard_ && (*shard_ < 0 || *shard_ >= kQuarantineIdStride)) {
    throw StoreError("shard " + std::to_string(*shard_) + " is out of range: shards are 0 to " +
                     std::to_string(kQuarantineIdStride - 1));
  }
  if (writer_ && writer_->owner.empty()) {
    throw StoreError("the writer of shard " + std::to_string(writer_->shard) +
                     " has no owner: it writes as the daemon id that holds the shard's lease");
  }
  if (readers_->url() != url) {
    throw StoreError("the shared reading connections are to another PostgreSQL URL than the store's");
  }
  if (!writer_) {
    // On a pooled connection: stores sharing the pool open none of their own.
    auto connection = readers_->acquire();
    require_latest_schema(*connection);
    return;
  }
  connection_ = connect(url, "writer of shard " + std::to_string(writer_->shard));
  migrate(*connection_);
  try {
    // The row writers of the shard lock to take turns; it holds nothing of the shard's yet.
    pqxx::work tx(*connection_);
    tx.exec_params0("INSERT INTO shard_state (shard) VALUES ($1) ON CONFLICT (shard) DO NOTHING", writer_->shard);
    tx.commit();
    prepare_writes(*connection_, *writer_);
  } catch (const pqxx::pqxx_exception&) {
    rethrow_as_store_error("opening the writer of shard " + std::to_string(writer_->shard));
  }
}

pqxx::connection& PostgresStore::writer_connection() {
  if (!connection_) {
    auto connection = connect(url_, "writer of shard " + std::to_string(writer_->shard));
    try {
      prepare_writes(*connection, *writer_);
    } catch (const pqxx::pqxx_exception&) {
      rethrow_as_store_error("preparing the writes of shard " + std::to_string(writer_->shard));
    }
    connection_ = std::move(connection);
  }
  return *connection_;
}

PostgresStore::~PostgresStore() = default;

const ShardWriter& PostgresStore::shard_writer() const {
  if (!writer_) throw StoreError("the PostgreSQL store was opened read-only (no shard writer)");
  return *writer_;
}

int PostgresStore::bound_shard() const {
  if (!shard_) {
    throw StoreError("the PostgreSQL store was opened read-only without a shard: it has no journal or snapshots");
  }
  return *shard_;
}

void PostgresStore::hold_lease(pqxx::transaction_base& tx) {
  const auto& w = *writer_;
  if (tx.exec_prepared("hold_lease", w.shard, w.epoch, w.owner).empty()) {
    throw FencedOut("shard " + std::to_string(w.shard) + " lease epoch " + std::to_string(w.epoch) + " of " + w.owner +
                    " is not held: write refused");
  }
}

// --- small reads ---

std::int64_t PostgresStore::last_receipt() {
  if (!writer_) return 0;
  return read("reading the ingest receipt", [&](pqxx::transaction_base& tx) {
    const auto r = tx.exec_params("SELECT receipt FROM shard_state WHERE shard = $1", writer_->shard);
    return r.empty() ? std::int64_t{0} : r[0][0].as<std::int64_t>();
  });
}

std::int64_t PostgresStore::journal_before_fail_safe() {
  if (!shard_) return 0;
  return read("reading where fail-safe judging began", [&](pqxx::transaction_base& tx) {
    const auto r = tx.exec_params("SELECT fail_safe_since FROM shard_state WHERE shard = $1", *shard_);
    return r.empty() ? std::int64_t{0} : r[0][0].as<std::int64_t>();
  });
}

std::optional<std::string> PostgresStore::stored_payload(const std::string& device, std::uint32_t boot,
                                                         std::uint64_t seq) {
  return read("looking up a stored message", [&](pqxx::transaction_base& tx) -> std::optional<std::string> {
    const auto r = tx.exec_params("SELECT payload FROM messages WHERE device = $1 AND boot = $2 AND seq = $3", device,
                                  std::int64_t{boot}, static_cast<std::int64_t>(seq));
    if (r.empty()) return std::nullopt;
    return r[0][0].as<std::string>();
  });
}

StoreStats PostgresStore::stats() {
  return read("counting rows", [&](pqxx::transaction_base& tx) {
    // Counted, not taken from the last id: a failed commit leaves gaps in the id sequences.
    const auto r = tx.exec1(
        "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM quarantine), (SELECT count(*) FROM alerts), "
        "(SELECT coalesce(sum(seq), 0) FROM audit_heads), pg_database_size(current_database())");
    return StoreStats{r[0].as<std::int64_t>(), r[1].as<std::int64_t>(), r[2].as<std::int64_t>(),
                      r[3].as<std::int64_t>(), r[4].as<std::int64_t>()};
  });
}

std::int64_t PostgresStore::last_quarantine_id() {
  return read("reading the last quarantine id", [&](pqxx::transaction_base& tx) {
    if (!shard_) return tx.exec1("SELECT coalesce(max(id), 0) FROM quarantine")[0].as<std::int64_t>();
    return tx.exec_params1("SELECT coalesce(max(id), $1) FROM quarantine WHERE shard = $1", *shard_)[0]
        .as<std::int64_t>();
  });
}

std::int64_t PostgresStore::quarantine_id_after(std::int64_t id) const { return id + kQuarantineIdStride; }

// --- tokens ---

namespace {

constexpr const char* kTokenColumns = "SELECT id, name, role, created_at, revoked, clinics FROM tokens";

TokenRecord token_from(const pqxx::row& r) {
  TokenRecord token{r[0].as<std::string>(), r[1].as<std::string>(),
                    r[2].as<std::string>(), from_millis(r[3].as<std::int64_t>()),
                    r[4].as<bool>(),        {}};
  if (r[5].is_null()) return token;
  const auto text = r[5].as<std::string>();
  const auto clinics = nlohmann::json::parse(text, nullptr, false);
  std::set<std::string, std::less<>> only;
  if (clinics.is_array()) {
    for (const auto& clinic : clinics) {
      if (clinic.is_string()) only.insert(clinic.get<std::string>());
    }
  }
  // A list that does not read as clinics would widen the token to every clinic if taken as empty.
  if (only.empty() || !clinics.is_array() || only.size() != clinics.size()) {
    throw StoreError("token " + token.id + " has clinics that are not a list of clinic names: " + text);
  }
  token.clinics = ClinicScope(std::move(only));
  return token;
}

}  // namespace

std::optional<TokenRecord> PostgresStore::token_by_hash(const std::string& sha256_hex) {
  return read("looking up a token", [&](pqxx::transaction_base& tx) -> std::optional<TokenRecord> {
    const auto r = tx.exec_params(std::string(kTokenColumns) + " WHERE sha256 = $1", sha256_hex);
    if (r.empty()) return std::nullopt;
    return token_from(r[0]);
  });
}

std::vector<TokenRecord> PostgresStore::tokens() {
  return read("listing tokens", [&](pqxx::transaction_base& tx) {
    std::vector<TokenRecord> out;
    for (const auto& row : tx.exec(std::string(kTokenColumns) + " ORDER BY created_at, id")) {
      out.push_back(token_from(row));
    }
    return out;
  });
}

// --- the read side and the outbox (pg_reads.cpp, pg_outbox.cpp) ---

Rows PostgresStore::alerts(const AlertQuery& q) {
  return read("listing alerts", [&](pqxx::transaction_base& tx) { return postgresql::alerts(tx, q); });
}
std::optional<nlohmann::json> PostgresStore::alert(const std::string& id) {
  return read("reading alert " + id, [&](pqxx::transaction_base& tx) { return postgresql::alert(tx, id); });
}
Rows PostgresStore::sessions(const RecordQuery& q) {
  return read("listing sessions", [&](pqxx::transaction_base& tx) { return postgresql::sessions(tx, q); });
}
Rows PostgresStore::cycles(const RecordQuery& q) {
  return read("listing cycles", [&](pqxx::transaction_base& tx) { return postgresql::cycles(tx, q); });
}
std::optional<nlohmann::json> PostgresStore::cycle(const std::string& key) {
  return read("reading cycle " + key, [&](pqxx::transaction_base& tx) { return postgresql::cycle(tx, key); });
}
void PostgresStore::scan_sessions(const RecordFilter& f, const RowVisitor& visit) {
  read("scanning sessions", [&](pqxx::transaction_base& tx) { postgresql::scan_sessions(tx, f, visit); });
}
void PostgresStore::scan_cycles(const RecordFilter& f, const RowVisitor& visit) {
  read("scanning cycles", [&](pqxx::transaction_base& tx) { postgresql::scan_cycles(tx, f, visit); });
}
Rows PostgresStore::messages(const RecordQuery& q) {
  return read("listing messages", [&](pqxx::transaction_base& tx) { return postgresql::messages(tx, q); });
}
Rows PostgresStore::quarantine(const RecordQuery& q) {
  return read("listing the quarantine", [&](pqxx::transaction_base& tx) { return postgresql::quarantine(tx, q); });
}
std::optional<nlohmann::json> PostgresStore::quarantined(std::int64_t id) {
  return read("reading quarantined message " + std::to_string(id),
              [&](pqxx::transaction_base& tx) { return postgresql::quarantined(tx, id); });
}
std::map<std::string, std::int64_t> PostgresStore::quarantine_counts() {
  return read("counting the quarantine", [&](pqxx::transaction_base& tx) { return postgresql::quarantine_counts(tx); });
}
Rows PostgresStore::commands(const RecordQuery& q) {
  return read("listing commands", [&](pqxx::transaction_base& tx) { return postgresql::commands(tx, q); });
}

// A shard's owner works off its own shard's outbox and no other: a read-only store has none.
std::vector<PendingNotification> PostgresStore::due_notifications(Timestamp until, std::size_t limit) {
  const int shard = shard_writer().shard;
  return read("reading due notifications",
              [&](pqxx::transaction_base& tx) { return postgresql::due_notifications(tx, shard, until, limit); });
}
std::optional<Timestamp> PostgresStore::next_notification_due() {
  const int shard = shard_writer().shard;
  return read("reading the next notification due",
              [&](pqxx::transaction_base& tx) { return postgresql::next_notification_due(tx, shard); });
}
void PostgresStore::record_attempts(std::span<const DeliveryAttempt> attempts) {
  write("recording delivery attempts", [&](pqxx::transaction_base& tx) {
    hold_lease(tx);
    postgresql::record_attempts(tx, writer_->shard, attempts);
  });
}
std::vector<PendingNotification> PostgresStore::disable_receiver(const std::string& receiver, Timestamp at,
                                                                 const std::string& answer) {
  return write("disabling receiver " + receiver, [&](pqxx::transaction_base& tx) {
    hold_lease(tx);
    return postgresql::disable_receiver(tx, writer_->shard, receiver, at, answer);
  });
}
// Receivers are the fleet's, not a shard's: a person enables one through any daemon's API, whose store
// holds no lease. No lease is needed: the row is no shard's state, and a dispatcher that disables the
// receiver again at the same moment (it answered 410 once more) is as right as the person.
bool PostgresStore::enable_receiver(const std::string& receiver) {
  auto connection = readers_->acquire();
  try {
    pqxx::work tx(*connection);
    const bool was_disabled = postgresql::enable_receiver(tx, receiver);
    tx.commit();
    return was_disabled;
  } catch (const pqxx::pqxx_exception&) {
    rethrow_as_store_error("enabling receiver " + receiver);
  }
}
std::map<std::string, nlohmann::json> PostgresStore::disabled_receivers() {
  return read("listing disabled receivers",
              [&](pqxx::transaction_base& tx) { return postgresql::disabled_receivers(tx); });
}
std::vector<nlohmann::json> PostgresStore::notifications(const NotificationQuery& q) {
  return read("listing notifications", [&](pqxx::transaction_base& tx) { return postgresql::notifications(tx, q); });
}
std::map<std::string, std::int64_t> PostgresStore::notification_counts(const ClinicScope& scope) {
  return read("counting notifications",
              [&](pqxx::transaction_base& tx) { return postgresql::notification_counts(tx, scope); });
}

}  // namespace postgresql

std::unique_ptr<Store> open_postgresql(const std::string& url, const PostgresOptions& options) {
  return std::make_unique<postgresql::PostgresStore>(url, options);
}

std::shared_ptr<PostgresReaders> open_postgresql_readers(const std::string& url, int connections) {
  if (connections < 1) {
    throw StoreError("PostgreSQL reading connections: " + std::to_string(connections) + " is too few, at least 1");
  }
  return std::make_shared<postgresql::ReaderPool>(url, connections);
}

std::vector<std::int64_t> postgresql_last_commits(PostgresReaders& readers, int shards) {
  auto connection = readers.acquire();
  try {
    pqxx::read_transaction tx(*connection);
    // One probe of the commits key per shard: a grouped max would read every commit ever made.
    const auto rows = tx.exec_params(
        "SELECT s, (SELECT coalesce(max(seq), 0) FROM commits WHERE shard = s) FROM generate_series(0, $1 - 1) AS s "
        "ORDER BY s",
        shards);
    std::vector<std::int64_t> last;
    last.reserve(rows.size());
    for (const auto& row : rows) last.push_back(row[1].as<std::int64_t>());
    return last;
  } catch (const pqxx::pqxx_exception&) {
    postgresql::rethrow_as_store_error("reading the shards' last commits");
  }
}

void migrate_postgresql(const std::string& url) {
  std::unique_ptr<pqxx::connection> connection;
  try {
    connection = std::make_unique<pqxx::connection>(url);
  } catch (const std::exception& e) {
    throw StoreError(std::string("connecting to PostgreSQL to migrate it: ") + e.what());
  }
  postgresql::migrate(*connection);
}

}  // namespace sterifleet::store
