// The SQLite store's engine snapshots: a few rows of one blob each, written off the commit path.
#include "sterifleet/crypto/sha256.hpp"
#include "writer.hpp"

namespace sterifleet::store::sqlite {

void SqliteStore::save_snapshot(const Snapshot& snapshot) {
  const std::string checksum = crypto::sha256_hex(snapshot.state);  // before taking the lock: commits wait for it
  std::lock_guard lock(write_mutex_);
  auto& w = writer();
  Transaction transaction(w.db, Transaction::Kind::write);
  const std::int64_t last = written_by_others() ? (counters_ = read_counters()).commit_seq : counters_.commit_seq;
  if (snapshot.commit > last) {
    throw StoreError("a snapshot of commit " + std::to_string(snapshot.commit) +
                     " cannot be kept: the journal ends at commit " + std::to_string(last));
  }
  auto& insert =
      w.db.cached("INSERT OR REPLACE INTO snapshots (commit_seq, taken_at, sha256, state) VALUES (?, ?, ?, ?)");
  insert.bind(1, snapshot.commit);
  insert.bind(2, millis(snapshot.taken_at));
  insert.bind(3, checksum);
  insert.bind_blob(4, snapshot.state);
  insert.run("storing the snapshot of commit " + std::to_string(snapshot.commit));
  // The one just saved and the newest other: should one of them be damaged, the other is still recent.
  auto& prune = w.db.cached(
      "DELETE FROM snapshots WHERE commit_seq <> ?1 AND commit_seq NOT IN "
      "(SELECT commit_seq FROM snapshots WHERE commit_seq <> ?1 ORDER BY commit_seq DESC LIMIT 1)");
  prune.bind(1, snapshot.commit);
  prune.run("forgetting older snapshots");
  transaction.commit();
}

std::optional<Snapshot> SqliteStore::latest_snapshot_before(std::int64_t commit) {
  auto db = readers_.acquire();
  auto& s = db->cached(
      "SELECT commit_seq, taken_at, sha256, state FROM snapshots WHERE commit_seq < ? ORDER BY commit_seq DESC LIMIT "
      "1");
  Reset reset(s);
  s.bind(1, commit);
  if (!s.step("reading the latest snapshot")) return std::nullopt;
  Snapshot snapshot{s.int64(0), from_millis(s.int64(1)), s.blob(3)};
  if (crypto::sha256_hex(snapshot.state) != s.text(2)) {
    throw DamagedSnapshot(snapshot.commit, "the snapshot of commit " + std::to_string(snapshot.commit) +
                                               " is damaged: its bytes do not match their checksum");
  }
  return snapshot;
}

}  // namespace sterifleet::store::sqlite
