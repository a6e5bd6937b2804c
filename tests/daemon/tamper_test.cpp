// The audit trail after a real run, checked by the real CLI: `sterifleet audit verify --db` accepts the
// store as the daemon left it, and names the seq of a record changed behind its back. With the
// checkpoints the daemon signed (--checkpoint), it also catches what a consistent chain hides: the
// newest records deleted and the stored head moved back, a tail rewritten with its hashes recomputed,
// and a whole other chain.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "sterifleet/store/store.hpp"
#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/message_keys.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/simulator.hpp"
#include "sterifleet/testing/sqlite_file.hpp"

namespace sterifleet::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

Completed audit_verify(const fs::path& db, std::vector<std::string> more = {}) {
  std::vector<std::string> command{STERIFLEET_CLI_PATH, "audit", "verify", "--db", db.string()};
  command.insert(command.end(), more.begin(), more.end());
  return run_to_completion(command);
}

std::string text_of(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The distinct audit sequences the checkpoints of `file` sign, ascending.
std::vector<std::int64_t> signed_seqs(const fs::path& file) {
  std::set<std::int64_t> seqs;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    seqs.insert(nlohmann::json::parse(line).at("seq").get<std::int64_t>());
  return {seqs.begin(), seqs.end()};
}

/// Points the store's recorded head at record `seq` (0: empty), as someone covering a deletion would.
void set_stored_head(const fs::path& db, std::int64_t seq) {
  const std::string hash =
      seq == 0 ? std::string(64, '0')
               : sqlite_rows(db, "SELECT hash FROM audit WHERE seq = " + std::to_string(seq)).at(0).at(0);
  sqlite_exec(db, "UPDATE meta SET audit_seq = " + std::to_string(seq) + ", audit_hash = '" + hash + "' WHERE id = 1");
}

/// Replaces records `from` onwards with `count` others written by the store itself, so every hash after
/// them is recomputed and the chain is consistent: what someone with the product's own code could do.
void rewrite_from(const fs::path& db, std::int64_t from, int count) {
  sqlite_exec(db, "DELETE FROM audit WHERE seq >= " + std::to_string(from));
  set_stored_head(db, from - 1);
  const auto store = store::open_sqlite(db.string());
  store::Commit commit;
  const auto at = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  for (int i = 0; i < count; ++i) {
    commit.audit.push_back({at, "person:nobody", "alert:forged-" + std::to_string(i), "resolved", nullptr,
                            nlohmann::json{{"state", "resolved"}}, "rewritten"});
  }
  store->commit(commit);
}

/// A copy of the store (main file plus WAL, if any) at `to`.
fs::path copy_store(const fs::path& db, const fs::path& to) {
  for (const auto* suffix : {"", "-wal", "-shm"}) {
    const fs::path from = db.string() + suffix;
    if (fs::exists(from)) fs::copy_file(from, to.string() + suffix);
  }
  return to;
}

/// A store written by the real daemon from a simulated day with violations (so alerts, sessions, cycles
/// and commands all leave audit records), stopped in order.
class DaemonTampering : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    store_dir_ = std::make_unique<TempDir>("sterifleet-tamper");
    Mosquitto broker;
    // Checkpoints every second, so the run leaves several along the trail.
    Daemon daemon({STERIFLEETD_PATH, broker.url(), {{"log.level", "\"warn\""}, {"audit.checkpoint_interval_s", "1"}}});
    Simulator sim(STERIFLEET_SIM_PATH, broker.url(),
                  {"--clinics",
                   "1",
                   "--pens",
                   "3",
                   "--sterilizers",
                   "1",
                   "--days",
                   "1",
                   "--speed",
                   "0",
                   "--seed",
                   "9",
                   "--start",
                   utc_days_ago(1),
                   "--violations",
                   "0.5",
                   "--violation-kinds",
                   "cartridge.reused,cartridge.expired,cycle.indicator_failed,session.depth_exceeds_policy",
                   "--sent-log",
                   "{dir}/sent.log",
                   "--log-level",
                   "warn"});
    ASSERT_EQ(sim.finish(120s), 0) << sim.logs();
    const auto sent = read_sent_log(sim.file("sent.log"));
    ASSERT_TRUE(wait_until_stored(daemon.db(), sent, 60s).empty()) << daemon.log();
    ASSERT_EQ(daemon.stop(), 0) << daemon.log();
    copy_store(daemon.db(), store());
    fs::copy_file(daemon.db().string() + "-checkpoints.jsonl", checkpoints());
    fs::copy_file(daemon.db().string() + "-audit.key.pub", public_key());
  }
  static void TearDownTestSuite() { store_dir_.reset(); }

  static fs::path store() { return store_dir_->path() / "original.db"; }
  static fs::path checkpoints() { return store_dir_->path() / "checkpoints.jsonl"; }
  static fs::path public_key() { return store_dir_->path() / "audit.key.pub"; }
  static std::vector<std::string> with_checkpoints() {
    return {"--checkpoint", checkpoints().string(), "--public-key", public_key().string()};
  }

  /// A fresh copy of the untouched store for one test to damage.
  fs::path scratch_store() { return copy_store(store(), scratch_.path() / "sterifleet.db"); }

  /// The seq of the audit record in the middle of the trail.
  static std::string middle_seq(const fs::path& db) {
    const auto records = sqlite_integer(db, "SELECT count(*) FROM audit");
    return sqlite_rows(db, "SELECT seq FROM audit ORDER BY seq LIMIT 1 OFFSET " + std::to_string(records / 2))
        .at(0)
        .at(0);
  }

  TempDir scratch_{"sterifleet-tamper-copy"};
  static inline std::unique_ptr<TempDir> store_dir_;
};

TEST_F(DaemonTampering, UnchangedStore_VerifyExitsZero) {
  ASSERT_GT(sqlite_integer(store(), "SELECT count(*) FROM audit"), 100);
  ASSERT_GT(sqlite_integer(store(), "SELECT count(*) FROM alerts"), 0);
  const auto verify = audit_verify(scratch_store());
  EXPECT_EQ(verify.status, 0) << verify.output;
  EXPECT_NE(verify.output.find("intact"), std::string::npos) << verify.output;
}

TEST_F(DaemonTampering, OneAuditRecordChanged_VerifyExitsOneAndNamesItsSeq) {
  // Each column an editor might touch: what happened, who did it, when, and the stored hash itself.
  for (const auto* change : {R"("after" = '{"state":"resolved"}')", "actor = 'person:nobody'", "at = at + 1000",
                             "hash = '"
                             "0000000000000000000000000000000000000000000000000000000000000000'"}) {
    SCOPED_TRACE(change);
    const auto db = scratch_store();
    const auto seq = middle_seq(db);
    sqlite_exec(db, std::string("UPDATE audit SET ") + change + " WHERE seq = " + seq);
    const auto verify = audit_verify(db);
    EXPECT_EQ(verify.status, 1) << verify.output;
    EXPECT_NE(verify.output.find("first bad record: " + seq + " "), std::string::npos) << verify.output;
    fs::remove(db);
    for (const auto* suffix : {"-wal", "-shm"}) fs::remove(db.string() + suffix);
  }
}

TEST_F(DaemonTampering, StoreThatOnlyGrew_HoldsEveryCheckpoint) {
  const auto db = scratch_store();
  const auto seqs = signed_seqs(checkpoints());
  ASSERT_GE(seqs.size(), 2U) << text_of(checkpoints());
  ASSERT_EQ(seqs.back(), sqlite_integer(db, "SELECT max(seq) FROM audit"));
  // The store grows as it does in use: a report appends its audit record.
  const auto report =
      run_to_completion({STERIFLEET_CLI_PATH, "report", "--db", db.string(), "--from", "2000-01-01", "--to",
                         "2100-01-01", "--format", "json", "--out", (scratch_.path() / "report.json").string()});
  ASSERT_EQ(report.status, 0) << report.output;
  const auto verify = audit_verify(db, with_checkpoints());
  EXPECT_EQ(verify.status, 0) << verify.output;
  EXPECT_NE(verify.output.find("history: holds"), std::string::npos) << verify.output;
  EXPECT_NE(verify.output.find("grew only by appending (1 record since)"), std::string::npos) << verify.output;
}

TEST_F(DaemonTampering, NewestRecordsDeletedAndHeadMovedBack_OnlyTheCheckpointCatchesIt) {
  const auto db = scratch_store();
  const auto last = sqlite_integer(db, "SELECT max(seq) FROM audit");
  const auto kept = last - 7;
  sqlite_exec(db, "DELETE FROM audit WHERE seq > " + std::to_string(kept));
  set_stored_head(db, kept);

  const auto alone = audit_verify(db);
  EXPECT_EQ(alone.status, 0) << "the chain alone cannot tell: " << alone.output;
  const auto verify = audit_verify(db, with_checkpoints());
  EXPECT_EQ(verify.status, 1) << verify.output;
  EXPECT_NE(verify.output.find("history: TRUNCATED"), std::string::npos) << verify.output;
  EXPECT_NE(verify.output.find("first record that differs: " + std::to_string(kept + 1) + "\n"), std::string::npos)
      << verify.output;
}

TEST_F(DaemonTampering, TailRewrittenWithRecomputedHashes_IsNarrowedBetweenCheckpoints) {
  const auto db = scratch_store();
  const auto seqs = signed_seqs(checkpoints());
  // Rewrite from just after the second-newest signed record: the newest checkpoint covers the change.
  const auto before = seqs[seqs.size() - 2];
  const auto newest = seqs.back();
  ASSERT_LT(before + 1, newest);
  rewrite_from(db, before + 2, static_cast<int>(newest - before) + 3);

  const auto alone = audit_verify(db);
  EXPECT_EQ(alone.status, 0) << "the chain alone cannot tell: " << alone.output;
  const auto verify = audit_verify(db, with_checkpoints());
  EXPECT_EQ(verify.status, 1) << verify.output;
  EXPECT_NE(verify.output.find("history: REWRITTEN"), std::string::npos) << verify.output;
  EXPECT_NE(verify.output.find("first record that differs: " + std::to_string(before + 1) + " to " +
                               std::to_string(newest) + " (one of them)"),
            std::string::npos)
      << verify.output;
}

TEST_F(DaemonTampering, WholeChainReplaced_DiffersFromRecordOne) {
  const auto db = scratch_store();
  const auto records = sqlite_integer(db, "SELECT count(*) FROM audit");
  rewrite_from(db, 1, static_cast<int>(records) + 10);

  const auto alone = audit_verify(db);
  EXPECT_EQ(alone.status, 0) << "the chain alone cannot tell: " << alone.output;
  const auto verify = audit_verify(db, with_checkpoints());
  EXPECT_EQ(verify.status, 1) << verify.output;
  EXPECT_NE(verify.output.find("history: REPLACED"), std::string::npos) << verify.output;
  EXPECT_NE(verify.output.find("first record that differs: 1\n"), std::string::npos) << verify.output;
}

TEST_F(DaemonTampering, CheckpointWithABadSignature_IsRefused) {
  const auto db = scratch_store();
  // A checkpoint claiming a shorter history, its signature unchanged: what a forger without the key has.
  auto line = text_of(checkpoints()).substr(0, text_of(checkpoints()).find('\n'));
  auto checkpoint = nlohmann::json::parse(line);
  checkpoint["seq"] = checkpoint["seq"].get<std::int64_t>() + 1;
  const auto forged = scratch_.path() / "forged.jsonl";
  std::ofstream(forged) << checkpoint.dump() << '\n';
  const auto verify = audit_verify(db, {"--checkpoint", forged.string()});
  EXPECT_EQ(verify.status, 3) << verify.output;
  EXPECT_NE(verify.output.find("forged.jsonl:1: refused: its signature is not key"), std::string::npos)
      << verify.output;
}

TEST_F(DaemonTampering, CheckpointOfAnotherKey_IsRefusedWhenTheKeyIsPinned) {
  const auto db = scratch_store();
  const auto other = scratch_.path() / "other.pem";
  const auto made = run_to_completion({"openssl", "genpkey", "-algorithm", "ed25519", "-out", other.string()});
  ASSERT_EQ(made.status, 0) << made.output;
  const auto other_public = scratch_.path() / "other.pub";
  ASSERT_EQ(
      run_to_completion({"openssl", "pkey", "-in", other.string(), "-pubout", "-out", other_public.string()}).status,
      0);
  const auto verify = audit_verify(db, {"--checkpoint", checkpoints().string(), "--public-key", other_public.string()});
  EXPECT_EQ(verify.status, 3) << verify.output;
  EXPECT_NE(verify.output.find("not by the pinned key"), std::string::npos) << verify.output;
  EXPECT_NE(verify.output.find("0 trusted"), std::string::npos) << verify.output;
}

}  // namespace
}  // namespace sterifleet::testing
