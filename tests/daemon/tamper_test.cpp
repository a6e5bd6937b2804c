// The audit trail after a real run, checked by the real CLI: `sterifleet audit verify --db` accepts the
// store as the daemon left it, and names the seq of a record changed behind its back.
#include <gtest/gtest.h>

#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/message_keys.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/simulator.hpp"
#include "sterifleet/testing/sqlite_file.hpp"

namespace sterifleet::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

Completed audit_verify(const fs::path& db) {
  return run_to_completion({STERIFLEET_CLI_PATH, "audit", "verify", "--db", db});
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
    Daemon daemon({STERIFLEETD_PATH, broker.url(), {{"log.level", "\"warn\""}}});
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
  }
  static void TearDownTestSuite() { store_dir_.reset(); }

  static fs::path store() { return store_dir_->path() / "original.db"; }

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

}  // namespace
}  // namespace sterifleet::testing
