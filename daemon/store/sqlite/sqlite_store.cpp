// The SQLite store: open, migrate, and the write side (commits, tokens).
//
// Design note
// -----------
// * One file in WAL mode. The daemon commits once per received MQTT message and may acknowledge the
//   message only after commit() returns, so a commit must be durable and cheap. In WAL mode with
//   synchronous=NORMAL a commit appends to the WAL and returns without fsync: it survives a killed
//   process (the bytes are in the OS), not a power cut; synchronous=FULL fsyncs the WAL per commit and
//   survives both, at the price of one disk flush per commit.
// * One writing connection, guarded by a mutex, with every write statement prepared once at open
//   (SQLITE_PREPARE_PERSISTENT) and reused; nothing on the commit path looks at the schema. A commit
//   is BEGIN IMMEDIATE (take the write lock now, never fail to upgrade later), the rows, COMMIT; any
//   error rolls everything back and throws StoreError with SQLite's message.
// * Each commit touches as few pages as it can, because every page it changes is written whole to the
//   WAL: a telemetry message appends to the messages table, nothing else. Its (device, boot, seq) key
//   goes into message_keys later, with those of the next thousands of messages, one row per device
//   (index_tail): an index in device order, written per transaction, dirtied a page per device. Each
//   row carries its keys' lowest and highest (boot, seq), indexed, so that a duplicate's lookup opens
//   only the rows whose range holds its key, and a device's history is read newest row first. Commits
//   are numbered by the rows they append (messages, quarantine, actions, commands and audit carry
//   commit_seq, and their row numbers follow commit order); the `meta` row is rewritten only by a
//   commit that appends to the audit chain (it holds the chain's head) or appends nothing at all.
//   The writer keeps the number and the head in memory, and reloads them from the file when
//   `PRAGMA data_version` says another connection wrote to it, so numbers and the chain never fork.
// * Checkpoints (copying the WAL back into the database file, with its fsyncs) run on a background
//   thread with its own connection (Checkpointer), woken by the writer's WAL hook past 1000 pages, so
//   no commit pays for one. With the two points above, a telemetry commit on the development VM went
//   from ~95 us to ~40 us (tests/store/store_bench.cpp measures it).
// * Queries run on a pool of reading connections (ReaderPool): WAL lets them read a consistent snapshot
//   while the writer appends, so a slow report never delays an acknowledgement. Query text varies with
//   the filters given; each connection keeps its prepared statements keyed by text.
// * Schema changes are migrations (migrations.cpp) applied in order in one transaction at open and
//   recorded in schema_version; a file from a newer sterifleet is refused.
// * Audit chain: record n stores prev_hash = hash of record n-1 (64 zeros for the first) and
//   hash = SHA-256(prev_hash || audit_canonical(n, record, prev_hash)), where the canonical bytes are the
//   RFC 8785 form of {action, actor, after, at, before, cause, entity, prev, seq} (src/audit_chain.hpp).
//   `before`/`after` are stored as exactly the JSON text that was hashed, so verification rebuilds the
//   canonical bytes from the columns without parsing JSON and streams the table in one read
//   transaction. Changing, deleting or reordering a record breaks the chain at that record; someone who
//   rewrites every later record and the meta row too is caught only by comparing the head with one
//   published earlier (an export or report should carry it).
//
// Columns hold times as integer milliseconds since the Unix epoch and JSON as compact text with
// sorted keys; rows returned by queries have the forms store.hpp documents.
#include "sqlite_store.hpp"

#include "migrations.hpp"
#include "writer.hpp"

namespace sterifleet::store {

namespace sqlite {

namespace {

std::string pragma_synchronous(const std::string& level) {
  for (const char* allowed : {"OFF", "NORMAL", "FULL", "EXTRA"}) {
    if (level == allowed) return "PRAGMA synchronous = " + level;
  }
  throw StoreError("store synchronous must be NORMAL or FULL (or OFF, EXTRA), not \"" + level + "\"");
}

}  // namespace

// Runs before the commit path's statements are prepared, so that they see the latest schema.
void configure_writer(Connection& db, const SqliteOptions& options) {
  set_busy_timeout(db, options.busy_timeout_ms);
  if (options.read_only) {
    require_latest_schema(db);
    return;
  }
  {
    auto& mode = db.cached("PRAGMA journal_mode = WAL");
    Reset reset(mode);
    if (!mode.step("switching to WAL") || mode.text(0) != "wal") {
      throw StoreError("the store needs WAL mode, which this file does not allow (journal_mode " +
                       std::string(mode.text(0)) + ")");
    }
  }
  db.exec(pragma_synchronous(options.synchronous));
  set_cache_kib(db, options.cache_kib);
  db.exec("PRAGMA temp_store = MEMORY");
  // Keep the WAL from staying large after a burst once it has been checkpointed.
  db.exec("PRAGMA journal_size_limit = 67108864");
  migrate(db);
}

SqliteStore::Writer::Writer(const std::string& path, const SqliteOptions& options)
    : db(path, options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE),
      statements((configure_writer(db, options), db)),  // configured first, then prepared
      read_only(options.read_only) {}

SqliteStore::SqliteStore(const std::string& path, const SqliteOptions& options)
    : path_(path),
      writer_(std::make_unique<Writer>(path, options)),
      key_batch_(options.key_batch),
      readers_(path, options) {
  if (!options.read_only) written_by_others();  // the data_version the counters below are current for
  counters_ = read_counters();
  if (options.read_only) return;
  // What the last run stored since its last batch is indexed now, so that the tail starts empty and
  // known; a store from before message_keys is indexed here once, a transaction per 100,000 messages.
  constexpr std::size_t chunk = 100'000;
  std::size_t indexed = chunk;
  while (indexed == chunk) {
    Transaction transaction(writer_->db, Transaction::Kind::write);
    indexed = index_tail(*writer_, chunk);
    transaction.commit();
  }
  tail_known_ = true;
  checkpointer_ = std::make_unique<Checkpointer>(path, options.busy_timeout_ms);
  checkpointer_->watch(writer_->db.get());
}

SqliteStore::~SqliteStore() = default;

SqliteStore::Writer& SqliteStore::writer() {
  if (writer_->read_only) throw StoreError("the store at " + path_ + " was opened read-only");
  return *writer_;
}

}  // namespace sqlite

std::unique_ptr<Store> open_sqlite(const std::string& path, const SqliteOptions& options) {
  return std::make_unique<sqlite::SqliteStore>(path, options);
}

}  // namespace sterifleet::store
