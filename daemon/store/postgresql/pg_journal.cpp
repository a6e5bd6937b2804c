// The PostgreSQL store's journal (what a shard's new owner replays) and its engine snapshots.
#include "pg_store.hpp"
#include "sterifleet/crypto/sha256.hpp"

namespace sterifleet::store::postgresql {

namespace {

/// How many journal entries are fetched at a time: the journal after a snapshot can be long.
constexpr std::size_t kJournalBatch = 2000;

// The three inputs of the shard's journal as one stream in commit order (within a commit: messages,
// quarantine, actions, each in the order stored), in one column layout:
//   commit_seq, kind, at, topic|actor, payload|body (text), clinic|reason|kind, device|detail, boot, seq, ts,
//   type, quarantine id, quarantine payload (bytea)
std::string journal_query(int shard, std::int64_t after) {
  const auto where = " WHERE shard = " + std::to_string(shard) + " AND commit_seq > " + std::to_string(after);
  return "SELECT commit_seq, 0 AS kind, id, received_at, topic, payload, clinic, device, boot, seq, ts, type, "
         "NULL::bytea AS raw FROM messages" +
         where +
         " UNION ALL SELECT commit_seq, 1, id, received_at, topic, NULL, reason, detail, NULL, NULL, NULL, NULL, "
         "payload FROM quarantine" +
         where +
         " UNION ALL SELECT commit_seq, 2, id, at, actor, body, kind, NULL, NULL, NULL, NULL, NULL, NULL FROM actions" +
         where + " ORDER BY 1, 2, 3";
}

JournalEntry entry_from(const pqxx::row& r) {
  JournalEntry entry{r[0].as<std::int64_t>(), {}};
  const auto at = from_millis(r[3].as<std::int64_t>());
  switch (r[1].as<int>()) {
    case 0: {
      StoredMessage m;
      m.received_at = at;
      m.topic = r[4].as<std::string>();
      m.payload = r[5].as<std::string>();
      m.clinic = r[6].as<std::string>();
      m.device = r[7].as<std::string>();
      m.boot = static_cast<std::uint32_t>(r[8].as<std::int64_t>());
      if (!r[9].is_null()) m.seq = static_cast<std::uint64_t>(r[9].as<std::int64_t>());
      if (!r[10].is_null()) m.ts = from_millis(r[10].as<std::int64_t>());
      m.type = r[11].as<std::string>();
      entry.input = std::move(m);
      break;
    }
    case 1:
      entry.input = QuarantinedMessage{r[2].as<std::int64_t>(), at,
                                       r[4].as<std::string>(),  pqxx::binarystring(r[12]).str(),
                                       r[6].as<std::string>(),  r[7].as<std::string>()};
      break;
    default:
      entry.input =
          Action{at, r[4].as<std::string>(), r[6].as<std::string>(), nlohmann::json::parse(r[5].as<std::string>())};
      break;
  }
  return entry;
}

}  // namespace

void PostgresStore::read_journal(std::int64_t after_commit, const std::function<void(const JournalEntry&)>& visit) {
  const int shard = bound_shard();
  read("reading the journal of shard " + std::to_string(shard), [&](pqxx::transaction_base& tx) {
    pqxx::icursorstream stream(tx, journal_query(shard, after_commit), "journal", kJournalBatch);
    pqxx::result batch;
    while (stream >> batch) {
      for (const auto& row : batch) visit(entry_from(row));
    }
  });
}

void PostgresStore::save_snapshot(const Snapshot& snapshot) {
  const std::string checksum = crypto::sha256_hex(snapshot.state);  // before taking the lock: commits wait for it
  const int shard = shard_writer().shard;
  write("storing the snapshot of commit " + std::to_string(snapshot.commit), [&](pqxx::transaction_base& tx) {
    hold_lease(tx);
    const auto last = tx.exec_prepared1("last_commit", shard)[0].as<std::int64_t>();
    if (snapshot.commit > last) {
      throw StoreError("a snapshot of commit " + std::to_string(snapshot.commit) +
                       " cannot be kept: the journal ends at commit " + std::to_string(last));
    }
    tx.exec_params0(
        "INSERT INTO snapshots (shard, commit_seq, taken_at, sha256, state) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (shard, commit_seq) DO UPDATE SET taken_at = excluded.taken_at, sha256 = excluded.sha256, "
        "state = excluded.state",
        shard, snapshot.commit, millis(snapshot.taken_at), checksum,
        pqxx::binarystring(snapshot.state.data(), snapshot.state.size()));
    tx.exec_params0(
        "DELETE FROM snapshots WHERE shard = $1 AND commit_seq <> $2 AND commit_seq NOT IN "
        "(SELECT commit_seq FROM snapshots WHERE shard = $1 AND commit_seq <> $2 ORDER BY commit_seq DESC LIMIT 1)",
        shard, snapshot.commit);
  });
}

std::optional<Snapshot> PostgresStore::latest_snapshot_before(std::int64_t commit) {
  const int shard = bound_shard();
  const auto found = read("reading the latest snapshot", [&](pqxx::transaction_base& tx) {
    return tx.exec_params(
        "SELECT commit_seq, taken_at, sha256, state FROM snapshots WHERE shard = $1 AND commit_seq < $2 "
        "ORDER BY commit_seq DESC LIMIT 1",
        shard, commit);
  });
  if (found.empty()) return std::nullopt;
  const auto& r = found[0];
  Snapshot snapshot{r[0].as<std::int64_t>(), from_millis(r[1].as<std::int64_t>()), pqxx::binarystring(r[3]).str()};
  if (crypto::sha256_hex(snapshot.state) != r[2].as<std::string>()) {
    throw DamagedSnapshot(snapshot.commit, "the snapshot of commit " + std::to_string(snapshot.commit) +
                                               " is damaged: its bytes do not match their checksum");
  }
  return snapshot;
}

}  // namespace sterifleet::store::postgresql
