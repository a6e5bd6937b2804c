// How a SQLite store becomes a cluster's PostgreSQL store
// ------------------------------------------------------
// * Shards. Every row goes to the shard of its clinic (cluster::ShardMap). Journal entries keep their
//   order within a shard. An entry that belongs to no clinic goes to shard 0 (API tokens), except the
//   entries that judge every clinic: the daemon's start, clock ticks, compactions and policy reloads.
//   Those go to every shard that holds a clinic (and shard 0): a shard's owner rebuilds its engine from
//   its journal alone, and without the ticks it would never see a pen go offline, without a policy
//   reload it would judge by the old policy.
// * Commit numbers. Each old commit becomes one commit in every shard it left a row in, numbered 1, 2,
//   ... per shard in the old order; rows that name a commit (journal, alerts, sessions, cycles, commands,
//   notifications, audit) get their shard's number. Fail-safe judging began, per shard, at the last
//   commit that was before it in the old numbering. The commits rows are written under leases this
//   copy claims for every shard (the fencing trigger refuses them otherwise, and no daemon can start
//   on a shard meanwhile) and releases when it commits.
// * Quarantine ids become id * 1024 + shard (the PostgreSQL scheme: unique across shards, in the old
//   order within a shard). The engine names a quarantined message in the alert it raises
//   ("quarantine:<id>", subject "<device>/quarantine/<id>"), and an alert's id is a hash of those: such
//   alerts get the id the engine gives them when it replays the new journal, and every reference to
//   the old id (the alert row, its notifications, the actions on it, commands) is renamed with it.
// * The audit trail is copied verbatim into the fleet chain: same seq, bytes and hashes, so that it
//   verifies as before and against every checkpoint signed before the copy. Records stay as they were
//   even where they name an old quarantine or alert id: they are history, and signed.
// * Snapshots are not copied (they hold the old commit numbers): each shard replays its journal on
//   its first start. The ingest's receipt position is not copied: it counts a receipt log on the old
//   machine's disk, which no shard reads.
#include "store_migration.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <pqxx/pqxx>
#include <set>

#include "migration_router.hpp"
#include "notify_command.hpp"
#include "sterifleet/engine/alert.hpp"
#include "sterifleet/engine/rules.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::app {

namespace {

using cluster::Shard;

/// Where SQLite keeps the "dead man switch" lock of its WAL index (os_unix.c, UNIX_SHM_DMS): every
/// connection that has the database open in WAL mode holds a read lock on this byte of the -shm file.
constexpr off_t kSqliteShmDmsByte = 128;

/// The owner written in the leases and commits rows of the copy.
constexpr const char* kMigrationOwner = "sterifleet-migrate";

constexpr std::int64_t kQuarantineIdStride = 1024;  // as the PostgreSQL store numbers them

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

std::string remap_alert_ids(const std::string& text, const std::map<std::string, std::string>& ids) {
  if (ids.empty()) return text;
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_hex(text[i])) {
      out += text[i++];
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && is_hex(text[end])) ++end;
    const auto run = text.substr(i, end - i);
    const auto renamed = run.size() == 16 ? ids.find(run) : ids.end();
    out += renamed == ids.end() ? run : renamed->second;
    i = end;
  }
  return out;
}

namespace {

/// libpq's text form of a nullable parameter: a null pointer is SQL NULL.
const char* nullable(const std::optional<std::string>& text) { return text ? text->c_str() : nullptr; }

std::optional<std::string> text_of(const std::optional<std::int64_t>& n) {
  return n ? std::optional(std::to_string(*n)) : std::nullopt;
}

const std::vector<std::string> kDataTables = {"messages",
                                              "quarantine",
                                              "actions",
                                              "alerts",
                                              "sessions",
                                              "cycles",
                                              "commands",
                                              "tokens",
                                              "audit",
                                              "notifications",
                                              "notification_attempts",
                                              "disabled_receivers",
                                              "commits",
                                              "snapshots",
                                              "clinic_shards"};

void refuse_target_with_data(pqxx::transaction_base& tx, const std::string& to_shown) {
  std::string held;
  for (const auto& table : kDataTables) {
    const auto rows = tx.exec1("SELECT count(*) FROM " + table)[0].as<std::int64_t>();
    if (rows == 0) continue;
    if (!held.empty()) held += ", ";
    held += table + ": " + std::to_string(rows) + (rows == 1 ? " row" : " rows");
  }
  if (!held.empty()) {
    throw MigrationRefused("the target database " + to_shown + " already holds data (" + held +
                           "); migrate copies a store into an empty database and never merges two: create a new "
                           "database (createdb) and migrate into it");
  }
}

void agree_on_shards(pqxx::transaction_base& tx, int shards) {
  tx.exec_params0("INSERT INTO cluster (id, shards) VALUES (1, $1) ON CONFLICT (id) DO NOTHING", shards);
  const auto agreed = tx.exec1("SELECT shards FROM cluster WHERE id = 1")[0].as<int>();
  if (agreed != shards) {
    throw MigrationRefused("the target's cluster has " + std::to_string(agreed) + " shards and --shards is " +
                           std::to_string(shards) + ": give --shards " + std::to_string(agreed) +
                           " (the count is fixed when a cluster is made: every clinic's shard depends on it)");
  }
  tx.exec_params0("INSERT INTO shard_leases (shard) SELECT generate_series(0, $1 - 1) ON CONFLICT (shard) DO NOTHING",
                  shards);
}

/// Claims every shard's lease for the copy; the epochs, by shard. Refused if a daemon holds one.
std::map<Shard, std::int64_t> claim_every_lease(pqxx::transaction_base& tx, int shards) {
  const auto held = tx.exec(
      "SELECT shard, owner, expires_at FROM shard_leases WHERE owner IS NOT NULL AND expires_at > clock_timestamp() "
      "ORDER BY shard LIMIT 1");
  if (!held.empty()) {
    throw MigrationRefused("shard " + held[0][0].as<std::string>() + "'s lease is held by daemon " +
                           held[0][1].as<std::string>() + " until " + held[0][2].as<std::string>() +
                           ": daemons are running on the target; stop every sterifleetd of the cluster first");
  }
  std::map<Shard, std::int64_t> epochs;
  for (const auto& r : tx.exec_params(
           "UPDATE shard_leases SET owner = $1, epoch = epoch + 1, expires_at = clock_timestamp() + interval '1 day', "
           "claimed_at = clock_timestamp(), renewed_at = clock_timestamp() WHERE shard < $2 RETURNING shard, epoch",
           kMigrationOwner, shards)) {
    epochs[r[0].as<int>()] = r[1].as<std::int64_t>();
  }
  return epochs;
}

void prepare_inserts(pqxx::connection& db) {
  db.prepare(
      "message",
      "INSERT INTO messages (shard, commit_seq, received_at, topic, payload, clinic, device, boot, seq, ts, type) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
  db.prepare("quarantine",
             "INSERT INTO quarantine (id, shard, commit_seq, received_at, topic, payload, reason, detail, clinic, "
             "device) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
  db.prepare("action",
             "INSERT INTO actions (shard, commit_seq, at, actor, kind, body) VALUES ($1, $2, $3, $4, $5, $6)");
  db.prepare("alert",
             "INSERT INTO alerts (id, shard, clinic, rule, state, device, opened_at, transition, commit_seq, row) "
             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
  db.prepare("session",
             "INSERT INTO sessions (pen, session, shard, clinic, started, commit_seq, row) "
             "VALUES ($1, $2, $3, $4, $5, $6, $7)");
  db.prepare("cycle",
             "INSERT INTO cycles (key, shard, clinic, sterilizer, ts, commit_seq, row) VALUES ($1, $2, $3, $4, $5, $6, "
             "$7)");
  db.prepare("command",
             "INSERT INTO commands (id, shard, commit_seq, issued_at, clinic, device, topic, payload) "
             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
  db.prepare("token",
             "INSERT INTO tokens (id, sha256, name, role, created_at, revoked, clinics) "
             "VALUES ($1, $2, $3, $4, $5, $6, $7)");
  db.prepare(
      "audit",
      "INSERT INTO audit (chain, seq, shard, commit_seq, at, actor, entity, action, \"before\", \"after\", cause, "
      "prev_hash, hash, clinic, id) VALUES ('fleet', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $1)");
  db.prepare("notification",
             "INSERT INTO notifications (id, shard, commit_seq, alert_id, clinic, receiver, kind, route, created_at, "
             "due_at, every_ms, until, notice, state, round, attempts, first_failure, last_attempt_at, last_status, "
             "last_answer, delivered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
             "$16, $17, $18, $19, $20, $21)");
  db.prepare("attempt",
             "INSERT INTO notification_attempts (notification, round, at, result, status, answer, latency_ms) "
             "VALUES ($1, $2, $3, $4, $5, $6, $7)");
  db.prepare("receiver", "INSERT INTO disabled_receivers (name, at, answer) VALUES ($1, $2, $3)");
}

/// The copy itself: one pass per table, in the old order.
class Copier {
 public:
  Copier(SqliteSnapshot& db, pqxx::transaction_base& tx, const cluster::ShardMap& map)
      : db_(db), tx_(tx), shards_(map.shards()), router_(map, db) {}

  CopySummary run(const std::map<Shard, std::int64_t>& epochs, const cluster::ShardMap& map) {
    route();
    remap_ids();
    write_commits(epochs);
    copy_journal();
    copy_state();
    copy_audit();
    copy_outbox();
    copy_tokens();
    write_shard_state();
    register_clinics(map);
    summary_.commits = router_.commits();
    summary_.clinics = router_.clinics();
    return std::move(summary_);
  }

 private:
  // Which shards every old commit left rows in: the commit numbering depends on all of them.
  void route() {
    db_.each("SELECT commit_seq, clinic FROM messages",
             [&](const auto& r) { router_.touch(router_.shard_of(r.text(1)), r.integer(0)); });
    db_.each("SELECT commit_seq, topic FROM quarantine",
             [&](const auto& r) { router_.touch(router_.shard_of_topic(r.text(1)), r.integer(0)); });
    db_.each("SELECT commit_seq, id, kind, body FROM actions", [&](const auto& r) {
      for (const auto shard : router_.action_shards(r.integer(1), r.text(2), r.text(3)))
        router_.touch(shard, r.integer(0));
    });
    for (const char* table : {"alerts", "sessions", "cycles", "commands", "notifications"}) {
      db_.each(std::string("SELECT commit_seq, clinic FROM ") + table,
               [&](const auto& r) { router_.touch(router_.shard_of(r.text(1)), r.integer(0)); });
    }
    // Records of the fleet (and every record older than records' clinics) go with their commit's other rows.
    db_.each("SELECT commit_seq, clinic FROM audit ORDER BY seq",
             [&](const auto& r) { router_.touch(audit_shard(r.integer(0), r.optional_text(1)), r.integer(0)); });
    router_.number();
  }

  Shard audit_shard(std::int64_t commit, const std::optional<std::string>& clinic) {
    if (clinic) return router_.shard_of(*clinic);
    return router_.any_shard_of(commit).value_or(0);
  }

  void remap_ids() {
    db_.each("SELECT id, topic FROM quarantine", [&](const auto& r) {
      summary_.quarantine_ids[r.integer(0)] = r.integer(0) * kQuarantineIdStride + router_.shard_of_topic(r.text(1));
    });
    if (summary_.quarantine_ids.empty()) return;
    db_.each("SELECT id, clinic, rule, row FROM alerts WHERE row LIKE '%quarantine%'", [&](const auto& r) {
      const nlohmann::json row = nlohmann::json::parse(remap_quarantine_ids(r.text(3), summary_.quarantine_ids));
      const std::string subject = row.at("subject");
      const std::string trigger = row.at("trigger");
      const auto rule = engine::parse_rule(r.text(2));
      if (!rule) throw std::runtime_error("alert " + r.text(0) + " has the unknown rule " + r.text(2));
      const auto renamed = engine::alert_id(protocol::ClinicId(r.text(1)), *rule, subject, trigger);
      if (renamed != r.text(0)) summary_.alert_ids[r.text(0)] = renamed;
    });
  }

  /// Both renamings, for a text that may name a quarantined message or an alert named after one.
  std::string renamed(const std::string& text) const {
    return remap_alert_ids(remap_quarantine_ids(text, summary_.quarantine_ids), summary_.alert_ids);
  }

  void write_commits(const std::map<Shard, std::int64_t>& epochs) {
    for (const auto& [shard, count] : router_.commits()) {
      tx_.exec_params0(
          "INSERT INTO commits (shard, seq, epoch, owner) SELECT $1, n, $2, $3 FROM generate_series(1, $4::bigint) n",
          shard, epochs.at(shard), kMigrationOwner, count);
    }
  }

  void count(const std::string& table, std::int64_t from, std::int64_t to) {
    summary_.tables.push_back({table, from, to});
  }

  void copy_journal() {
    std::int64_t n = 0;
    db_.each(
        "SELECT commit_seq, received_at, topic, payload, clinic, device, boot, seq, ts, type FROM messages "
        "ORDER BY id",
        [&](const auto& r) {
          const Shard shard = router_.shard_of(r.text(4));
          tx_.exec_prepared0("message", shard, router_.commit_in(shard, r.integer(0)), r.integer(1), r.text(2),
                             r.text(3), r.text(4), r.text(5), r.integer(6), nullable(text_of(r.optional_integer(7))),
                             nullable(text_of(r.optional_integer(8))), r.text(9));
          ++n;
        });
    count("messages", n, n);
    n = 0;
    db_.each(
        "SELECT id, commit_seq, received_at, topic, payload, reason, detail, clinic, device FROM quarantine "
        "ORDER BY id",
        [&](const auto& r) {
          const Shard shard = router_.shard_of_topic(r.text(3));
          const auto payload = r.blob(4);
          tx_.exec_prepared0("quarantine", summary_.quarantine_ids.at(r.integer(0)), shard,
                             router_.commit_in(shard, r.integer(1)), r.integer(2), r.text(3),
                             pqxx::binarystring(payload.data(), payload.size()), r.text(5), r.text(6),
                             nullable(r.optional_text(7)), nullable(r.optional_text(8)));
          ++n;
        });
    count("quarantine", n, n);
    n = 0;
    std::int64_t written = 0;
    db_.each("SELECT id, commit_seq, at, actor, kind, body FROM actions ORDER BY id", [&](const auto& r) {
      const auto body = renamed(r.text(5));
      for (const auto shard : router_.action_shards(r.integer(0), r.text(4), r.text(5))) {
        tx_.exec_prepared0("action", shard, router_.commit_in(shard, r.integer(1)), r.integer(2), r.text(3), r.text(4),
                           body);
        ++written;
      }
      ++n;
    });
    count("actions", n, written);
  }

  void copy_state() {
    std::int64_t n = 0;
    db_.each("SELECT id, clinic, rule, state, device, opened_at, transition, commit_seq, row FROM alerts",
             [&](const auto& r) {
               const Shard shard = router_.shard_of(r.text(1));
               const auto id = summary_.alert_ids.contains(r.text(0)) ? summary_.alert_ids.at(r.text(0)) : r.text(0);
               tx_.exec_prepared0("alert", id, shard, r.text(1), r.text(2), r.text(3), r.text(4), r.integer(5),
                                  r.text(6), router_.commit_in(shard, r.integer(7)), renamed(r.text(8)));
               ++n;
             });
    count("alerts", n, n);
    n = 0;
    db_.each("SELECT pen, session, clinic, started, commit_seq, row FROM sessions", [&](const auto& r) {
      const Shard shard = router_.shard_of(r.text(2));
      tx_.exec_prepared0("session", r.text(0), r.text(1), shard, r.text(2), r.integer(3),
                         router_.commit_in(shard, r.integer(4)), r.text(5));
      ++n;
    });
    count("sessions", n, n);
    n = 0;
    db_.each("SELECT key, clinic, sterilizer, ts, commit_seq, row FROM cycles", [&](const auto& r) {
      const Shard shard = router_.shard_of(r.text(1));
      tx_.exec_prepared0("cycle", r.text(0), shard, r.text(1), r.text(2), r.integer(3),
                         router_.commit_in(shard, r.integer(4)), r.text(5));
      ++n;
    });
    count("cycles", n, n);
    n = 0;
    db_.each("SELECT id, commit_seq, issued_at, clinic, device, topic, payload FROM commands ORDER BY seq",
             [&](const auto& r) {
               const Shard shard = router_.shard_of(r.text(3));
               tx_.exec_prepared0("command", r.text(0), shard, router_.commit_in(shard, r.integer(1)), r.integer(2),
                                  r.text(3), r.text(4), r.text(5), renamed(r.text(6)));
               ++n;
             });
    count("commands", n, n);
  }

  void copy_audit() {
    std::int64_t n = 0;
    db_.each(
        "SELECT seq, commit_seq, at, actor, entity, action, \"before\", \"after\", cause, prev_hash, hash, clinic "
        "FROM audit ORDER BY seq",
        [&](const auto& r) {
          const auto clinic = r.optional_text(11);
          const Shard shard = audit_shard(r.integer(1), clinic);
          tx_.exec_prepared0("audit", r.integer(0), shard, router_.commit_in(shard, r.integer(1)), r.integer(2),
                             r.text(3), r.text(4), r.text(5), r.text(6), r.text(7), r.text(8), r.text(9), r.text(10),
                             nullable(clinic));
          ++n;
        });
    count("audit", n, n);
    summary_.audit_records = n;
    db_.each("SELECT audit_seq, audit_hash FROM meta WHERE audit_seq > 0", [&](const auto& r) {
      tx_.exec_params0("INSERT INTO audit_heads (chain, seq, hash) VALUES ('fleet', $1, $2)", r.integer(0), r.text(1));
    });
    // Its seq is each record's listing position; the cluster's records come after.
    tx_.exec0("UPDATE audit_listing SET last = (SELECT coalesce(max(id), 0) FROM audit) WHERE id = 1");
  }

  void copy_outbox() {
    std::int64_t n = 0;
    db_.each(
        "SELECT id, commit_seq, alert_id, clinic, receiver, kind, route, created_at, due_at, every_ms, until, "
        "notice, state, round, attempts, first_failure, last_attempt_at, last_status, last_answer, delivered_at "
        "FROM notifications ORDER BY rowid",
        [&](const auto& r) {
          const Shard shard = router_.shard_of(r.text(3));
          tx_.exec_prepared0("notification", renamed(r.text(0)), shard, router_.commit_in(shard, r.integer(1)),
                             renamed(r.text(2)), r.text(3), r.text(4), r.text(5), r.text(6), r.integer(7), r.integer(8),
                             r.integer(9), nullable(text_of(r.optional_integer(10))), renamed(r.text(11)), r.text(12),
                             r.integer(13), r.integer(14), nullable(text_of(r.optional_integer(15))),
                             nullable(text_of(r.optional_integer(16))), nullable(text_of(r.optional_integer(17))),
                             nullable(r.optional_text(18)), nullable(text_of(r.optional_integer(19))));
          ++n;
        });
    count("notifications", n, n);
    n = 0;
    db_.each(
        "SELECT notification, round, at, result, status, answer, latency_ms FROM notification_attempts ORDER BY id",
        [&](const auto& r) {
          tx_.exec_prepared0("attempt", renamed(r.text(0)), r.integer(1), r.integer(2), r.text(3), r.integer(4),
                             r.text(5), r.integer(6));
          ++n;
        });
    count("notification_attempts", n, n);
    n = 0;
    db_.each("SELECT name, at, answer FROM disabled_receivers", [&](const auto& r) {
      tx_.exec_prepared0("receiver", r.text(0), r.integer(1), r.text(2));
      ++n;
    });
    count("disabled_receivers", n, n);
  }

  void copy_tokens() {
    std::int64_t n = 0;
    db_.each("SELECT id, sha256, name, role, created_at, revoked, clinics FROM tokens", [&](const auto& r) {
      tx_.exec_prepared0("token", r.text(0), r.text(1), r.text(2), r.text(3), r.integer(4), r.integer(5) != 0,
                         nullable(r.optional_text(6)));
      ++n;
    });
    count("tokens", n, n);
  }

  void write_shard_state() {
    const std::int64_t fail_safe_since = db_.integer("SELECT commit_seq FROM fail_safe_since");
    for (Shard shard = 0; shard < shards_; ++shard) {
      tx_.exec_params0(
          "INSERT INTO shard_state (shard, receipt, fail_safe_since) VALUES ($1, 0, $2) "
          "ON CONFLICT (shard) DO UPDATE SET receipt = 0, fail_safe_since = excluded.fail_safe_since",
          shard, router_.last_commit_by(shard, fail_safe_since));
    }
  }

  void register_clinics(const cluster::ShardMap& map) {
    for (const auto& [clinic, shard] : map.pins()) router_.shard_of(clinic.str());
    for (const auto& [clinic, shard] : router_.clinics()) {
      tx_.exec_params0("INSERT INTO clinic_shards (clinic, shard, pinned) VALUES ($1, $2, $3)", clinic, shard,
                       map.pins().contains(protocol::ClinicId(clinic)));
    }
  }

  SqliteSnapshot& db_;
  pqxx::transaction_base& tx_;
  int shards_;
  MigrationRouter router_;
  CopySummary summary_;
};

}  // namespace

void refuse_open_sqlite(const std::string& path) {
  const std::string shm = path + "-shm";
  const int fd = ::open(shm.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;  // no WAL index: no connection has the file open in WAL mode
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = kSqliteShmDmsByte;
  lock.l_len = 1;
  // An open-file-description lock test also sees this process's own POSIX locks (a store opened here).
  const int rc = ::fcntl(fd, F_OFD_GETLK, &lock);
  ::close(fd);
  if (rc != 0) throw MigrationRefused("cannot tell whether " + path + " is in use: fcntl on " + shm + " failed");
  if (lock.l_type == F_UNLCK) return;
  const std::string who = lock.l_pid > 0 ? "process " + std::to_string(lock.l_pid) : "another process";
  throw MigrationRefused(path + " is open in " + who +
                         " (a running sterifleetd?): a copy taken while the daemon writes would miss its last "
                         "commits. Stop it first (systemctl stop sterifleetd), then run migrate again");
}

std::string remap_quarantine_ids(const std::string& text, const std::map<std::int64_t, std::int64_t>& ids) {
  if (ids.empty()) return text;
  static constexpr std::string_view markers[] = {"quarantine:", "/quarantine/"};
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t digits = std::string::npos;
    for (const auto marker : markers) {
      if (text.compare(i, marker.size(), marker) == 0) digits = i + marker.size();
    }
    if (digits == std::string::npos || digits >= text.size() || text[digits] < '0' || text[digits] > '9') {
      out += text[i++];
      continue;
    }
    std::size_t end = digits;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    out.append(text, i, digits - i);
    const auto number = text.substr(digits, end - digits);
    const auto it = number.size() <= 18 ? ids.find(std::stoll(number)) : ids.end();
    out += it == ids.end() ? number : std::to_string(it->second);
    i = end;
  }
  return out;
}

std::vector<std::string> count_mismatches(const std::string& from, const std::string& to, const CopySummary& copied) {
  SqliteSnapshot db(from);
  pqxx::connection connection(to);
  pqxx::read_transaction tx(connection);
  std::vector<std::string> mismatches;
  for (const auto& table : copied.tables) {
    const auto in_sqlite = db.integer("SELECT count(*) FROM " + table.table);
    const auto in_postgresql = tx.exec1("SELECT count(*) FROM " + table.table)[0].as<std::int64_t>();
    if (in_sqlite != table.from || in_postgresql != table.to) {
      mismatches.push_back(table.table + ": " + std::to_string(in_sqlite) + " rows in SQLite, " +
                           std::to_string(table.from) + " read; " + std::to_string(in_postgresql) +
                           " rows on PostgreSQL, " + std::to_string(table.to) + " written");
    }
  }
  const auto clinics = tx.exec1("SELECT count(*) FROM clinic_shards")[0].as<std::int64_t>();
  if (clinics != static_cast<std::int64_t>(copied.clinics.size())) {
    mismatches.push_back("clinic_shards: " + std::to_string(clinics) + " rows, " +
                         std::to_string(copied.clinics.size()) + " clinics registered");
  }
  return mismatches;
}

CopySummary copy_sqlite_to_postgresql(const std::string& from, const std::string& to, const cluster::ShardMap& map) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(from, error)) throw MigrationRefused(from + ": no such file");
  refuse_open_sqlite(from);
  // Its version and kind first: a file that is not a sterifleet store of this version says so plainly.
  store::open_sqlite(from, {.read_only = true});
  store::migrate_postgresql(to);
  SqliteSnapshot db(from);
  pqxx::connection connection(to);
  prepare_inserts(connection);
  pqxx::work tx(connection);
  refuse_target_with_data(tx, url_without_secrets(to));
  agree_on_shards(tx, map.shards());
  const auto epochs = claim_every_lease(tx, map.shards());
  Copier copier(db, tx, map);
  auto summary = copier.run(epochs, map);
  tx.exec_params0("UPDATE shard_leases SET owner = NULL, expires_at = '-infinity' WHERE owner = $1", kMigrationOwner);
  tx.commit();
  return summary;
}

}  // namespace sterifleet::app
