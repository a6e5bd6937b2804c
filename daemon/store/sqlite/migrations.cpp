#include "migrations.hpp"

#include <array>
#include <string>
#include <string_view>

#include "sterifleet/store/store.hpp"

namespace sterifleet::store::sqlite {

namespace {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

// Times are integer milliseconds since the Unix epoch (UTC) throughout: sortable and compact.
// JSON columns hold compact text with sorted keys. Never edit a migration that has shipped: add one.
constexpr std::string_view schema_v1 = R"sql(
-- The audit chain's head as of the last commit that appended to it, and the number of the last
-- commit that left no row in an append-only table (messages, quarantine, actions, commands, audit);
-- other commits are numbered by those rows, so most commits need not rewrite this row.
CREATE TABLE meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  commit_seq INTEGER NOT NULL,
  audit_seq INTEGER NOT NULL,
  audit_hash TEXT NOT NULL
);
INSERT INTO meta VALUES (1, 0, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Append-only tables have no index on commit_seq: rows are appended in commit order, so the row
-- number orders them by commit too, and the journal bisects on it. One index less per message.

CREATE TABLE messages (
  id INTEGER PRIMARY KEY,        -- storage order, hence commit order
  commit_seq INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  topic TEXT NOT NULL,
  payload TEXT NOT NULL,
  clinic TEXT NOT NULL,
  device TEXT NOT NULL,
  boot INTEGER NOT NULL,
  seq INTEGER,                   -- NULL for status messages
  ts INTEGER,                    -- device time; NULL for status messages
  type TEXT NOT NULL
);
CREATE UNIQUE INDEX messages_key ON messages (device, boot, seq) WHERE seq IS NOT NULL;
CREATE INDEX messages_device ON messages (device);

CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY,
  commit_seq INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,         -- the bytes as they came
  reason TEXT NOT NULL,
  detail TEXT NOT NULL,
  clinic TEXT,                   -- from the topic when it parses
  device TEXT
);
CREATE INDEX quarantine_reason ON quarantine (reason);
CREATE INDEX quarantine_clinic ON quarantine (clinic);
CREATE INDEX quarantine_device ON quarantine (device);

CREATE TABLE actions (
  id INTEGER PRIMARY KEY,
  commit_seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL
);

-- Alerts and sessions are changed in place and found by their keys: WITHOUT ROWID stores each row
-- in its primary key's b-tree, one page less to write per change than a rowid table and its key index.
CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  clinic TEXT NOT NULL,
  rule TEXT NOT NULL,
  state TEXT NOT NULL,
  device TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  transition TEXT NOT NULL,      -- the latest change
  commit_seq INTEGER NOT NULL,
  row TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX alerts_opened ON alerts (opened_at, id);
CREATE INDEX alerts_clinic ON alerts (clinic, opened_at, id);
CREATE INDEX alerts_rule ON alerts (rule, opened_at, id);
CREATE INDEX alerts_state ON alerts (state, opened_at, id);
CREATE INDEX alerts_device ON alerts (device, opened_at, id);

CREATE TABLE sessions (
  pen TEXT NOT NULL,
  session TEXT NOT NULL,
  clinic TEXT NOT NULL,
  started INTEGER NOT NULL,
  commit_seq INTEGER NOT NULL,
  row TEXT NOT NULL,
  PRIMARY KEY (pen, session)
) WITHOUT ROWID;
CREATE INDEX sessions_started ON sessions (started, pen, session);
CREATE INDEX sessions_clinic ON sessions (clinic, started, pen, session);
CREATE INDEX sessions_pen ON sessions (pen, started, session);

CREATE TABLE cycles (
  key TEXT PRIMARY KEY,
  clinic TEXT NOT NULL,
  sterilizer TEXT NOT NULL,
  ts INTEGER NOT NULL,
  commit_seq INTEGER NOT NULL,
  row TEXT NOT NULL
);
CREATE INDEX cycles_ts ON cycles (ts, key);
CREATE INDEX cycles_clinic ON cycles (clinic, ts, key);
CREATE INDEX cycles_sterilizer ON cycles (sterilizer, ts, key);

CREATE TABLE commands (
  seq INTEGER PRIMARY KEY,       -- issue order
  id TEXT NOT NULL UNIQUE,
  commit_seq INTEGER NOT NULL,
  issued_at INTEGER NOT NULL,
  clinic TEXT NOT NULL,
  device TEXT NOT NULL,
  topic TEXT NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX commands_clinic ON commands (clinic);
CREATE INDEX commands_device ON commands (device);

CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,   -- of the secret; the secret itself is never stored
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE audit (
  seq INTEGER PRIMARY KEY,
  commit_seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  entity TEXT NOT NULL,
  action TEXT NOT NULL,
  "before" TEXT NOT NULL,        -- JSON
  "after" TEXT NOT NULL,         -- JSON
  cause TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL             -- SHA-256(prev_hash || audit_canonical(...)), hex
);
)sql";

// Engine snapshots (fleet::Fleet): the engine's state as of commit `commit_seq`, so that a restart
// replays only the journal after it. The store keeps the newest two.
constexpr std::string_view schema_v2 = R"sql(
CREATE TABLE snapshots (
  commit_seq INTEGER PRIMARY KEY,
  taken_at INTEGER NOT NULL,
  sha256 TEXT NOT NULL,          -- of state, hex: a damaged snapshot is refused, never loaded
  state BLOB NOT NULL            -- engine::Engine::snapshot()
);
)sql";

// The ingest's receipt log (daemon/ingest): the last receipt whose message is in the store, written in
// the transaction that stored it, so that a restart re-runs exactly the receipts after it.
constexpr std::string_view schema_v3 = R"sql(
CREATE TABLE ingest_position (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  receipt INTEGER NOT NULL
);
INSERT INTO ingest_position VALUES (1, 0);
)sql";

// Sessions stored in start order: reports and the API read them by start time, and through the
// started index each row was one more b-tree descent into the table, keyed by pen (a year's export of a
// 500-pen chain took 7.6 s in SQLite alone, against 1 s now). The (pen, session) key the engine upserts
// by becomes a unique index in place of the started index, so a commit still writes four b-trees, and
// new sessions go to the table's newest pages instead of one page per pen. The rows are copied in key
// order, a one-off of about 25 s per million sessions; the old table's pages are reused by later rows.
constexpr std::string_view schema_v4 = R"sql(
CREATE TABLE sessions_by_start (
  pen TEXT NOT NULL,
  session TEXT NOT NULL,
  clinic TEXT NOT NULL,
  started INTEGER NOT NULL,
  commit_seq INTEGER NOT NULL,
  row TEXT NOT NULL,
  PRIMARY KEY (started, pen, session)
) WITHOUT ROWID;
INSERT INTO sessions_by_start (pen, session, clinic, started, commit_seq, row)
  SELECT pen, session, clinic, started, commit_seq, row FROM sessions ORDER BY started, pen, session;
DROP TABLE sessions;
ALTER TABLE sessions_by_start RENAME TO sessions;
CREATE UNIQUE INDEX sessions_key ON sessions (pen, session);
CREATE INDEX sessions_clinic ON sessions (clinic, started, pen, session);
CREATE INDEX sessions_pen ON sessions (pen, started, session);
)sql";

// One index on the message log instead of two. Devices report interleaved, so every index entry lands
// on its own device's page, a dirty page written to the WAL and checkpointed back: dropping one took
// the ordered stage from 20.2 to 16.7 µs a message (bench/ordered_stage_bench). The key index now also
// holds status messages (their seq is NULL, which a unique index allows more than once), so it serves
// the per-device listing too: a device's rows and their ids are found in the index, and only that
// device's entries are sorted, never the table.
constexpr std::string_view schema_v5 = R"sql(
DROP INDEX IF EXISTS messages_device;
DROP INDEX IF EXISTS messages_key;
CREATE UNIQUE INDEX messages_key ON messages (device, boot, seq);
)sql";

// A message's (device, boot, seq) key leaves the message log for a table written a batch at a time
// (SqliteStore::index_tail): one row per device per batch, holding the keys of that device's messages in
// it. Devices report interleaved, so an index in device order has every device's insertion point on a
// page of its own: a transaction of 1,000 messages from 1,000 devices dirtied some 600 index pages, each
// written whole to the WAL and checkpointed back; and measured apart, an index entry cost SQLite 1.4-2.3 us
// to insert even 20,000 at a time, when pages were not the problem. A batch of 20,000 messages now inserts a
// row per device. Messages past message_keys_position are the tail, found by scanning it.
constexpr std::string_view schema_v6 = R"sql(
DROP INDEX IF EXISTS messages_key;
CREATE TABLE message_keys (
  device TEXT NOT NULL,
  last_id INTEGER NOT NULL,      -- the device's last message in the batch
  keys TEXT NOT NULL,            -- JSON [[id, boot, seq], ...] in id order; seq null for a status message
  PRIMARY KEY (device, last_id)
) WITHOUT ROWID;
-- Messages up to this id have their keys in message_keys; the store indexes the rest when it opens.
CREATE TABLE message_keys_position (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  indexed INTEGER NOT NULL
);
INSERT INTO message_keys_position VALUES (1, 0);
)sql";

// Each message_keys row gets the lowest and highest (boot, seq) among its keys, indexed by device and
// highest key: a duplicate's stored payload is looked for only in the rows whose range holds its key,
// found in that index, instead of in every row of its device (13-17 ms a lookup for a device with
// 15,500 messages, growing with its history; 0.09 ms now, bench/restart_bench device-queries). Rows
// holding only status messages have no range. The existing rows get theirs from their keys, once
// (about 5 s a million messages; a single grouped pass was tried: 8.3 s against 12.2 s, not worth it).
constexpr std::string_view schema_v7 = R"sql(
ALTER TABLE message_keys ADD COLUMN low_boot INTEGER;
ALTER TABLE message_keys ADD COLUMN low_seq INTEGER;
ALTER TABLE message_keys ADD COLUMN high_boot INTEGER;
ALTER TABLE message_keys ADD COLUMN high_seq INTEGER;
UPDATE message_keys SET
  (low_boot, low_seq) = (SELECT j.value ->> 1, j.value ->> 2 FROM json_each(keys) j
                         WHERE j.value ->> 2 IS NOT NULL ORDER BY 1, 2 LIMIT 1),
  (high_boot, high_seq) = (SELECT j.value ->> 1, j.value ->> 2 FROM json_each(keys) j
                           WHERE j.value ->> 2 IS NOT NULL ORDER BY 1 DESC, 2 DESC LIMIT 1);
CREATE INDEX message_keys_range ON message_keys (device, high_boot, high_seq, low_boot, low_seq);
)sql";

// From here on drift is accepted and warned about, a rejected event raises device.event_rejected and a
// rejected message's sequence number counts as received. The journal up to this commit was judged
// before: a restart replays it as it was judged then, so that the rebuilt engine is the one whose
// effects the store holds. (Rows are appended in commit order: each table's last row has its newest.)
constexpr std::string_view schema_v8 = R"sql(
CREATE TABLE fail_safe_since (commit_seq INTEGER NOT NULL);
INSERT INTO fail_safe_since SELECT max(
  coalesce((SELECT commit_seq FROM messages ORDER BY id DESC LIMIT 1), 0),
  coalesce((SELECT commit_seq FROM quarantine ORDER BY id DESC LIMIT 1), 0),
  coalesce((SELECT commit_seq FROM actions ORDER BY id DESC LIMIT 1), 0));
)sql";

// The notification outbox (store/outbox.hpp): rows decided in the commit of their alert's transition,
// re-armed or finished by the dispatcher, every attempt kept for the dashboard's "who was told when".
constexpr std::string_view schema_v9 = R"sql(
CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  commit_seq INTEGER NOT NULL,
  alert_id TEXT NOT NULL,
  clinic TEXT NOT NULL,
  receiver TEXT NOT NULL,
  kind TEXT NOT NULL,
  route TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  every_ms INTEGER NOT NULL,
  until INTEGER,
  notice TEXT NOT NULL,
  state TEXT NOT NULL,
  round INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  first_failure INTEGER,
  last_attempt_at INTEGER,
  last_status INTEGER,
  last_answer TEXT,
  delivered_at INTEGER
);
CREATE INDEX notifications_due ON notifications (due_at) WHERE state = 'pending';
CREATE INDEX notifications_alert ON notifications (alert_id, state);
CREATE INDEX notifications_created ON notifications (created_at);
CREATE TABLE notification_attempts (
  id INTEGER PRIMARY KEY,
  notification TEXT NOT NULL,
  round INTEGER NOT NULL,
  at INTEGER NOT NULL,
  result TEXT NOT NULL,
  status INTEGER NOT NULL,
  answer TEXT NOT NULL,
  latency_ms INTEGER NOT NULL
);
CREATE INDEX notification_attempts_of ON notification_attempts (notification);
CREATE TABLE disabled_receivers (
  name TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  answer TEXT NOT NULL
);
)sql";

// API tokens for some clinics only: `clinics` is a JSON array of them, NULL for every clinic (all the
// tokens made before). Names become unique, revoked tokens' too, so that an audit record's actor
// "token:<name>" names one token for ever. Of tokens that shared a name the oldest keeps it and each
// later one is renamed "<name>~<id>", as is any token named "bootstrap" (the actor of the configured
// bootstrap secret): '~' is in no name the API accepts, so the new name is free and reads as a renaming.
// Their secrets are unchanged; records made before name them as they were then.
constexpr std::string_view schema_v10 = R"sql(
ALTER TABLE tokens ADD COLUMN clinics TEXT;
UPDATE tokens SET name = name || '~' || id
  WHERE name = 'bootstrap' OR EXISTS (SELECT 1 FROM tokens AS older WHERE older.name = tokens.name
                                        AND (older.created_at, older.id) < (tokens.created_at, tokens.id));
CREATE UNIQUE INDEX tokens_name ON tokens (name);
)sql";

// The clinic an audit record belongs to (its hash covers it); NULL for the fleet's records and for every
// record stored before, whose hashes do not cover one. Indexed for a clinic's listing of its trail.
constexpr std::string_view schema_v11 = R"sql(
ALTER TABLE audit ADD COLUMN clinic TEXT;
CREATE INDEX audit_by_clinic ON audit (clinic, seq) WHERE clinic IS NOT NULL;
)sql";

constexpr std::array migrations{
    Migration{1, "initial schema", schema_v1},
    Migration{2, "engine snapshots", schema_v2},
    Migration{3, "ingest receipt position", schema_v3},
    Migration{4, "sessions in start order", schema_v4},
    Migration{5, "one index on the message log", schema_v5},
    Migration{6, "message keys indexed in batches", schema_v6},
    Migration{7, "message key ranges", schema_v7},
    Migration{8, "fail-safe judging of rejected messages", schema_v8},
    Migration{9, "notification outbox", schema_v9},
    Migration{10, "token clinics and unique token names", schema_v10},
    Migration{11, "audit records name their clinic", schema_v11},
};

int stored_version(Connection& db) {
  auto& query = db.cached("SELECT coalesce(max(version), 0) FROM schema_version");
  Reset reset(query);
  query.step("reading the schema version");
  return static_cast<int>(query.int64(0));
}

void refuse_newer(int found) {
  if (found > latest_schema_version()) {
    throw StoreError("the store has schema version " + std::to_string(found) + ", written by a newer sterifleet; " +
                     "this one knows up to version " + std::to_string(latest_schema_version()));
  }
}

}  // namespace

int latest_schema_version() { return migrations.back().version; }

int migrate(Connection& db) {
  Transaction transaction(db, Transaction::Kind::write);
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_version ("
      "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  const int found = stored_version(db);
  refuse_newer(found);
  for (const auto& migration : migrations) {
    if (migration.version <= found) continue;
    db.exec(std::string(migration.sql));
    auto& record = db.cached(
        "INSERT INTO schema_version VALUES (?, ?, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))");
    record.bind(1, std::int64_t{migration.version});
    record.bind(2, migration.description);
    record.run("recording schema version " + std::to_string(migration.version));
  }
  transaction.commit();
  return found;
}

void require_latest_schema(Connection& db) {
  int found = 0;
  try {
    found = stored_version(db);
  } catch (const StoreError& e) {
    throw StoreError(std::string("not a sterifleet store: ") + e.what());
  }
  refuse_newer(found);
  if (found < latest_schema_version()) {
    throw StoreError("the store has schema version " + std::to_string(found) +
                     "; open it once read-write to migrate it");
  }
}

}  // namespace sterifleet::store::sqlite
