// What only the SQLite back-end has: its file, schema migrations, options, and tampering with the
// file behind the store's back (as someone with write access to the disk could).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "audit_command.hpp"
#include "store_fixtures.hpp"

namespace sterifleet::store::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

/// Runs SQL on the file through its own connection, bypassing the store.
void run_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

/// The first column of the first row, as text ("" when there is none).
std::string query_text(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* statement = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(statement, 0);
    if (text) out = reinterpret_cast<const char*>(text);
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return out;
}

class SqliteBackend : public ::testing::Test {
 protected:
  void SetUp() override { store_ = open_sqlite(path_); }

  /// Ten records in five commits: seq n has entity "alert:n" and action "opened".
  void write_trail() {
    for (int i = 0; i < 5; ++i) {
      Commit c;
      for (int k = 1; k <= 2; ++k) {
        const int seq = 2 * i + k;
        c.audit.push_back(audit("alert:" + std::to_string(seq), "opened", at(seq), json{{"n", seq}}));
      }
      store_->commit(c);
    }
  }

  std::string verify_report(int expected_code) {
    std::ostringstream out;
    EXPECT_EQ(app::audit_verify({path_, {}, std::nullopt}, out), expected_code) << out.str();
    return out.str();
  }

  TempDir dir_;
  std::string path_ = dir_.file("sterifleet.db");
  std::unique_ptr<Store> store_;
};

// --- file and schema ---

// What schema version 11 added, and versions 9 to 11: a file of an older version is made by dropping it
// along with the rest.
constexpr std::string_view kDropAuditClinic = "DROP INDEX audit_by_clinic; ALTER TABLE audit DROP COLUMN clinic; ";
const std::string kDropSinceVersion9 =
    "DROP TABLE notifications; DROP TABLE notification_attempts; DROP TABLE disabled_receivers; "
    "DROP INDEX tokens_name; ALTER TABLE tokens DROP COLUMN clinics; " +
    std::string(kDropAuditClinic);

TEST_F(SqliteBackend, Open_MigratesAnEmptyFileInWalMode) {
  EXPECT_EQ(query_text(path_, "SELECT group_concat(version) FROM schema_version"), "1,2,3,4,5,6,7,8,9,10,11");
  EXPECT_EQ(query_text(path_, "PRAGMA journal_mode"), "wal");
  for (const auto* table : {"messages", "quarantine", "actions", "alerts", "sessions", "cycles", "commands", "tokens",
                            "audit", "meta", "snapshots", "ingest_position"}) {
    EXPECT_EQ(query_text(path_, std::string("SELECT name FROM sqlite_master WHERE name = '") + table + "'"), table);
  }
}

// API commands are a cluster's: a commit that would mark one done has nothing to mark here, and must not
// pass for done.
TEST_F(SqliteBackend, CommitOfAnApiCommand_IsRefused_AndKeepsNothing) {
  Commit c;
  c.audit.push_back(audit("report", "exported", at(1), json{{"n", 1}}));
  c.api_command = 7;
  try {
    store_->commit(c);
    FAIL() << "stored";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("API command 7"), std::string::npos) << e.what();
  }
  EXPECT_EQ(store_->audit_head().seq, 0);
}

TEST_F(SqliteBackend, Open_AnExistingFileAppliesNoMigrationTwice) {
  store_->commit([] {
    Commit c;
    c.messages.push_back(telemetry("PEN-0001", 1, at(0)));
    return c;
  }());
  store_.reset();
  store_ = open_sqlite(path_);
  EXPECT_EQ(query_text(path_, "SELECT count(*) FROM schema_version"), "11");
  EXPECT_EQ(store_->stats().messages, 1);
}

TEST_F(SqliteBackend, Open_AVersionOneFileGainsTheSnapshotTable) {
  store_->commit(Commit{.messages = {telemetry("PEN-0001", 1, at(0))}});
  store_.reset();
  run_sql(
      path_,
      "DROP TABLE snapshots; DROP TABLE ingest_position; DROP TABLE message_keys; DROP TABLE message_keys_position; "
      "DROP TABLE fail_safe_since; " +
          kDropSinceVersion9 + "DELETE FROM schema_version WHERE version >= 2");
  store_ = open_sqlite(path_);
  EXPECT_EQ(query_text(path_, "SELECT group_concat(version) FROM schema_version"), "1,2,3,4,5,6,7,8,9,10,11");
  EXPECT_EQ(store_->last_receipt(), 0);
  EXPECT_EQ(store_->stats().messages, 1);
  store_->save_snapshot({1, at(1), "state"});
  EXPECT_EQ(store_->latest_snapshot()->state, "state");
}

TEST_F(SqliteBackend, Open_AVersionTwoFileGetsItsSessionsInStartOrder) {
  Commit c;
  // Pens numbered against their sessions' start, so that key order and start order differ.
  for (int i = 0; i < 6; ++i) {
    c.sessions.push_back(
        session(i % 2 ? "south" : "north", "PEN-000" + std::to_string(6 - i), "S-" + std::to_string(i), at(i)));
  }
  store_->commit(c);
  const auto listed = all_pages([&](const Page& p) { return store_->sessions({.page = p}); }, 4);
  store_.reset();
  run_sql(path_, R"sql(
    CREATE TABLE sessions_v2 (
      pen TEXT NOT NULL, session TEXT NOT NULL, clinic TEXT NOT NULL, started INTEGER NOT NULL,
      commit_seq INTEGER NOT NULL, row TEXT NOT NULL, PRIMARY KEY (pen, session)) WITHOUT ROWID;
    INSERT INTO sessions_v2 SELECT pen, session, clinic, started, commit_seq, row FROM sessions;
    DROP TABLE sessions;
    ALTER TABLE sessions_v2 RENAME TO sessions;
    CREATE INDEX sessions_started ON sessions (started, pen, session);
    CREATE INDEX sessions_clinic ON sessions (clinic, started, pen, session);
    CREATE INDEX sessions_pen ON sessions (pen, started, session);
    DROP TABLE ingest_position;
    DROP TABLE message_keys;
    DROP TABLE message_keys_position;
    DROP TABLE fail_safe_since;)sql" +
                     kDropSinceVersion9 + "DELETE FROM schema_version WHERE version > 2;");

  store_ = open_sqlite(path_);
  EXPECT_EQ(query_text(path_, "SELECT group_concat(version) FROM schema_version"), "1,2,3,4,5,6,7,8,9,10,11");
  EXPECT_EQ(query_text(path_,
                       "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE tbl_name = 'sessions' "
                       "AND type = 'index' AND sql IS NOT NULL ORDER BY name)"),
            "sessions_clinic,sessions_key,sessions_pen");
  EXPECT_EQ(all_pages([&](const Page& p) { return store_->sessions({.page = p}); }, 4), listed);
  std::vector<json> scanned;
  store_->scan_sessions({}, [&](std::string_view row) { scanned.push_back(json::parse(row)); });
  EXPECT_EQ(scanned, listed);

  // Still one row per pen and session: the engine's upserts find it by that key, also when its start moves.
  Commit ended;
  ended.sessions.push_back(session("north", "PEN-0006", "S-0", at(0), true));
  ended.sessions.push_back(session("south", "PEN-0005", "S-1", at(9)));
  store_->commit(ended);
  EXPECT_EQ(query_text(path_, "SELECT count(*) FROM sessions"), "6");
  const auto rows = store_->sessions({}).rows;
  EXPECT_EQ(rows.front(), engine::to_json(ended.sessions[0]));
  EXPECT_EQ(rows.back(), engine::to_json(ended.sessions[1]));
}

TEST_F(SqliteBackend, Open_AVersionFourFileHasItsMessageKeysIndexedAndNoIndexOnTheLog) {
  Commit c;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) c.messages.push_back(telemetry("PEN-0001", seq, at(0)));
  c.messages.push_back(telemetry("PEN-0002", 1, at(1)));
  c.messages.push_back(status("PEN-0001", at(2)));
  store_->commit(c);
  const auto listed = all_pages([&](const Page& p) { return store_->messages({.device = "PEN-0001", .page = p}); }, 2);
  store_.reset();
  run_sql(path_, R"sql(
    DROP TABLE message_keys;
    DROP TABLE message_keys_position;
    CREATE UNIQUE INDEX messages_key ON messages (device, boot, seq) WHERE seq IS NOT NULL;
    CREATE INDEX messages_device ON messages (device);
    DROP TABLE fail_safe_since;)sql" +
                     kDropSinceVersion9 + "DELETE FROM schema_version WHERE version > 4;");

  store_ = open_sqlite(path_);
  EXPECT_EQ(query_text(path_, "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'messages' AND type = 'index'"),
            "0");
  EXPECT_EQ(query_text(path_, "SELECT indexed FROM message_keys_position"), "5");
  EXPECT_EQ(all_pages([&](const Page& p) { return store_->messages({.device = "PEN-0001", .page = p}); }, 2), listed);
  EXPECT_EQ(listed.size(), 4U);
  EXPECT_EQ(store_->stored_payload("PEN-0001", 1, 2), telemetry("PEN-0001", 2, at(0)).payload);
  store_->commit(Commit{.messages = {status("PEN-0001", at(4))}});
  EXPECT_EQ(store_->messages({.device = "PEN-0001"}).rows.size(), 5U);
}

// --- message keys, indexed a batch at a time ---

class SqliteKeys : public SqliteBackend {
 protected:
  void SetUp() override { store_ = open_sqlite(path_, {.key_batch = 4}); }

  /// Ten telemetry messages, one a commit, from two devices taking turns, and a status of each.
  void store_ten_and_two_statuses() {
    for (int n = 1; n <= 10; ++n) {
      const auto seq = static_cast<std::uint64_t>((n + 1) / 2);
      store_->commit(Commit{.messages = {telemetry(n % 2 ? "PEN-0001" : "PEN-0002", seq, at(n))}});
    }
    store_->commit(Commit{.messages = {status("PEN-0001", at(11))}});
    store_->commit(Commit{.messages = {status("PEN-0002", at(12))}});
  }

  std::vector<std::int64_t> listed_ids(const std::string& device, std::size_t page_size) {
    std::vector<std::int64_t> ids;
    for (const auto& row :
         all_pages([&](const Page& p) { return store_->messages({.device = device, .page = p}); }, page_size)) {
      ids.push_back(row.at("id").get<std::int64_t>());
    }
    return ids;
  }
};

TEST_F(SqliteKeys, ABatchIsIndexedOnceTheTailHoldsThatManyMessages) {
  store_ten_and_two_statuses();
  // Indexed at the 4th, 8th and 12th message: one row per device per batch, statuses with a null seq.
  EXPECT_EQ(query_text(path_, "SELECT indexed FROM message_keys_position"), "12");
  EXPECT_EQ(query_text(path_, "SELECT count(*) FROM message_keys"), "6");
  EXPECT_EQ(query_text(path_, "SELECT keys FROM message_keys WHERE device = 'PEN-0001' ORDER BY last_id LIMIT 1"),
            "[[1,1,1],[3,1,2]]");
  EXPECT_EQ(query_text(path_, "SELECT keys FROM message_keys WHERE device = 'PEN-0001' ORDER BY last_id DESC LIMIT 1"),
            "[[9,1,5],[11,1,null]]");
}

TEST_F(SqliteKeys, ADeviceIsListedNewestFirstFromTheBatchesAndTheTail) {
  store_ten_and_two_statuses();
  store_->commit(Commit{.messages = {telemetry("PEN-0001", 6, at(13))}});  // id 13, in the tail
  store_->commit(Commit{.messages = {telemetry("PEN-0002", 6, at(14))}});  // id 14, in the tail
  EXPECT_EQ(query_text(path_, "SELECT indexed FROM message_keys_position"), "12");
  const std::vector<std::int64_t> first{13, 11, 9, 7, 5, 3, 1};
  for (std::size_t page_size : {1U, 2U, 3U, 10U}) EXPECT_EQ(listed_ids("PEN-0001", page_size), first) << page_size;
  EXPECT_EQ(listed_ids("PEN-0002", 3), (std::vector<std::int64_t>{14, 12, 10, 8, 6, 4, 2}));
  EXPECT_TRUE(listed_ids("PEN-0003", 3).empty());
  // The other filters still apply to a device's rows.
  EXPECT_EQ(store_->messages({.device = "PEN-0001", .from = at(9), .to = at(13)}).rows.size(), 2U);
  EXPECT_TRUE(store_->messages({.clinic = "south", .device = "PEN-0001"}).rows.empty());
}

TEST_F(SqliteKeys, AFilteredDeviceHistoryPagesThroughManyBatches) {
  for (int n = 1; n <= 61; ++n) {  // ids 1..61; PEN-0001 has the odd ones, the last in the tail
    const auto seq = static_cast<std::uint64_t>((n + 1) / 2);
    store_->commit(Commit{.messages = {telemetry(n % 2 ? "PEN-0001" : "PEN-0002", seq, at(n))}});
  }
  const auto ids = [&](const RecordQuery& filter, std::size_t page_size) {
    std::vector<std::int64_t> out;
    for (const auto& row : all_pages(
             [&](const Page& p) {
               auto q = filter;
               q.page = p;
               return store_->messages(q);
             },
             page_size)) {
      out.push_back(row.at("id").get<std::int64_t>());
    }
    return out;
  };
  std::vector<std::int64_t> late, early;
  for (std::int64_t id = 61; id >= 41; id -= 2) late.push_back(id);
  for (std::size_t page_size : {1U, 2U, 7U, 100U}) {
    EXPECT_EQ(ids({.device = "PEN-0001", .from = at(41)}, page_size), late) << page_size;
    // The rows a page shows are the device's oldest: every batch is read, the chunk growing.
    EXPECT_EQ(ids({.device = "PEN-0001", .to = at(4)}, page_size), (std::vector<std::int64_t>{3, 1})) << page_size;
  }
  EXPECT_TRUE(ids({.clinic = "south", .device = "PEN-0001"}, 3).empty());
  EXPECT_THROW(store_->messages({.device = "PEN-0001", .page = {10, "abc"}}), BadCursor);
}

TEST_F(SqliteKeys, AStoredPayloadIsFoundInABatchAndInTheTail) {
  store_ten_and_two_statuses();
  store_->commit(Commit{.messages = {telemetry("PEN-0001", 6, at(13))}});
  EXPECT_EQ(store_->stored_payload("PEN-0001", 1, 1), telemetry("PEN-0001", 1, at(1)).payload);   // first batch
  EXPECT_EQ(store_->stored_payload("PEN-0002", 1, 5), telemetry("PEN-0002", 5, at(10)).payload);  // last batch
  EXPECT_EQ(store_->stored_payload("PEN-0001", 1, 6), telemetry("PEN-0001", 6, at(13)).payload);  // tail
  EXPECT_FALSE(store_->stored_payload("PEN-0001", 1, 7));
  EXPECT_FALSE(store_->stored_payload("PEN-0001", 2, 1));
  EXPECT_FALSE(store_->stored_payload("PEN-0003", 1, 1));
}

TEST_F(SqliteKeys, TheTailIsIndexedWhenTheStoreOpensAgain) {
  store_ten_and_two_statuses();
  store_->commit(Commit{.messages = {telemetry("PEN-0001", 6, at(13))}});
  store_.reset();
  EXPECT_EQ(query_text(path_, "SELECT indexed FROM message_keys_position"), "12");
  store_ = open_sqlite(path_, {.key_batch = 4});
  EXPECT_EQ(query_text(path_, "SELECT indexed FROM message_keys_position"), "13");
  EXPECT_EQ(store_->stored_payload("PEN-0001", 1, 6), telemetry("PEN-0001", 6, at(13)).payload);
  EXPECT_EQ(listed_ids("PEN-0001", 2), (std::vector<std::int64_t>{13, 11, 9, 7, 5, 3, 1}));
}

TEST_F(SqliteKeys, AnotherWritersMessagesInTheTailAreFoundToo) {
  store_->commit(Commit{.messages = {telemetry("PEN-0001", 1, at(1))}});
  auto other = open_sqlite(path_, {.key_batch = 4});
  other->commit(Commit{.messages = {telemetry("PEN-0002", 1, at(2))}});
  // This store's own record of the tail lacks it: the tail is scanned.
  EXPECT_EQ(store_->stored_payload("PEN-0002", 1, 1), telemetry("PEN-0002", 1, at(2)).payload);
  EXPECT_EQ(listed_ids("PEN-0002", 2), (std::vector<std::int64_t>{2}));
  // And this store's next commit numbers after the other's (the lookup did not hide that it wrote).
  EXPECT_EQ(store_->commit(Commit{.messages = {telemetry("PEN-0001", 2, at(3))}}), 3);
  EXPECT_EQ(store_->stored_payload("PEN-0002", 1, 1), telemetry("PEN-0002", 1, at(2)).payload);
}

TEST_F(SqliteKeys, EachBatchRowHoldsTheRangeOfItsKeys) {
  store_ten_and_two_statuses();
  const auto ranges = [&](const std::string& device) {
    return query_text(path_,
                      "SELECT group_concat(coalesce(low_boot || ' ' || low_seq || ' ' || high_boot || ' ' || high_seq, "
                      "'-'), '|') FROM "
                      "(SELECT * FROM message_keys WHERE device = '" +
                          device + "' ORDER BY last_id)");
  };
  EXPECT_EQ(ranges("PEN-0001"), "1 1 1 2|1 3 1 4|1 5 1 5");
  EXPECT_EQ(ranges("PEN-0002"), "1 1 1 2|1 3 1 4|1 5 1 5");
  // A batch holding only a status message has no range.
  for (int n = 0; n < 4; ++n) store_->commit(Commit{.messages = {status(n ? "PEN-0001" : "PEN-0003", at(20 + n))}});
  EXPECT_EQ(query_text(path_,
                       "SELECT count(*) FROM message_keys WHERE device = 'PEN-0003' AND low_boot IS NULL "
                       "AND low_seq IS NULL AND high_boot IS NULL AND high_seq IS NULL"),
            "1");
}

TEST_F(SqliteKeys, ADuplicateIsFoundWhereverItsKeyFallsAmongRanges) {
  const auto keyed = [](std::uint32_t boot, std::uint64_t seq) {
    auto m = telemetry("PEN-0001", seq, at(static_cast<int>(boot * 100 + seq)));
    m.boot = boot;
    return m;
  };
  // Two batches whose ranges overlap: gaps filled late, and a reboot in each.
  const std::vector<std::pair<std::uint32_t, std::uint64_t>> stored{{1, 5}, {2, 1}, {1, 3}, {2, 2},
                                                                    {1, 4}, {2, 3}, {2, 5}, {3, 1}};
  for (const auto& [boot, seq] : stored) store_->commit(Commit{.messages = {keyed(boot, seq)}});
  EXPECT_EQ(
      query_text(
          path_,
          "SELECT group_concat(coalesce(low_boot || ' ' || low_seq || ' ' || high_boot || ' ' || high_seq, '-'), '|') "
          "FROM (SELECT * FROM message_keys ORDER BY last_id)"),
      "1 3 2 2|1 4 3 1");
  for (const auto& [boot, seq] : stored) {
    EXPECT_EQ(store_->stored_payload("PEN-0001", boot, seq), keyed(boot, seq).payload) << boot << "/" << seq;
  }
  for (const auto& [boot, seq] : std::vector<std::pair<std::uint32_t, std::uint64_t>>{
           {1, 1}, {1, 2}, {1, 6}, {2, 4}, {2, 6}, {3, 2}, {0, 5}, {4, 1}}) {
    EXPECT_FALSE(store_->stored_payload("PEN-0001", boot, seq)) << boot << "/" << seq;
  }
}

TEST_F(SqliteKeys, AVersionSixFileGetsTheRangesOfItsBatches) {
  store_ten_and_two_statuses();
  // A batch whose keys are out of order across a reboot, ending with a status, and one of statuses only.
  auto rebooted = telemetry("PEN-0003", 1, at(13));
  rebooted.boot = 2;
  store_->commit(Commit{.messages = {rebooted, telemetry("PEN-0003", 9, at(14)), status("PEN-0003", at(15)),
                                     status("PEN-0004", at(16))}});
  const std::string ranges_sql =
      "SELECT group_concat(device || ' ' || last_id || ' ' || coalesce(low_boot || ' ' || low_seq || ' ' || high_boot "
      "|| ' ' || high_seq, '-'), '|') FROM "
      "(SELECT * FROM message_keys ORDER BY device, last_id)";
  const auto written = query_text(path_, ranges_sql);
  EXPECT_THAT(written, HasSubstr("|PEN-0003 15 1 9 2 1|PEN-0004 16 -"));
  store_.reset();
  run_sql(path_, R"sql(
    DROP INDEX message_keys_range;
    ALTER TABLE message_keys DROP COLUMN low_boot;
    ALTER TABLE message_keys DROP COLUMN low_seq;
    ALTER TABLE message_keys DROP COLUMN high_boot;
    ALTER TABLE message_keys DROP COLUMN high_seq;
    DROP TABLE fail_safe_since;)sql" +
                     kDropSinceVersion9 + "DELETE FROM schema_version WHERE version > 6;");

  store_ = open_sqlite(path_, {.key_batch = 4});
  EXPECT_EQ(query_text(path_, "SELECT max(version) FROM schema_version"), "11");
  EXPECT_EQ(query_text(path_, ranges_sql), written);
  EXPECT_EQ(store_->stored_payload("PEN-0002", 1, 3), telemetry("PEN-0002", 3, at(6)).payload);
  EXPECT_EQ(listed_ids("PEN-0002", 4), (std::vector<std::int64_t>{12, 10, 8, 6, 4, 2}));
}

// A store from before fail-safe judging: its journal was judged the old way, and the migration says up
// to which commit.
TEST_F(SqliteKeys, TheFailSafeMigrationRecordsTheJournalItFinds) {
  Commit older;
  older.quarantined.push_back(quarantined("bad_value", at(1)));
  const auto first = store_->commit(older);
  const auto second = store_->commit(Commit{.messages = {telemetry("PEN-0001", 1, at(2))}});
  EXPECT_GT(second, first);
  EXPECT_EQ(store_->journal_before_fail_safe(), 0);
  store_.reset();
  run_sql(path_, "DROP TABLE fail_safe_since; " + kDropSinceVersion9 + "DELETE FROM schema_version WHERE version > 7;");
  store_ = open_sqlite(path_, {.key_batch = 4});
  EXPECT_EQ(store_->journal_before_fail_safe(), second);
  store_->commit(Commit{.messages = {telemetry("PEN-0001", 2, at(3))}});
  EXPECT_EQ(store_->journal_before_fail_safe(), second);
}

TEST_F(SqliteKeys, AFailedCommitLeavesNoKeyBehind) {
  store_->commit(Commit{.commands = {command("cmd-1", "PEN-0001", at(0))}});
  Commit bad{.messages = {telemetry("PEN-0001", 1, at(1))}};
  bad.commands.push_back(command("cmd-1", "PEN-0001", at(1)));  // the same id again
  EXPECT_THROW(store_->commit(bad), StoreError);
  // The next message takes the row number the failed one had: the failed one's key must not lead to it.
  store_->commit(Commit{.messages = {telemetry("PEN-0002", 1, at(2))}});
  EXPECT_FALSE(store_->stored_payload("PEN-0001", 1, 1));
  EXPECT_EQ(store_->stored_payload("PEN-0002", 1, 1), telemetry("PEN-0002", 1, at(2)).payload);
}

TEST_F(SqliteBackend, Open_RefusesAFileFromANewerSterifleet) {
  store_.reset();
  run_sql(path_, "INSERT INTO schema_version VALUES (99, 'from the future', 0)");
  try {
    open_sqlite(path_);
    FAIL() << "a newer schema must be refused";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("newer sterifleet"));
  }
}

TEST_F(SqliteBackend, Open_RefusesWhatIsNotADatabase) {
  const auto junk = dir_.file("junk.db");
  std::ofstream(junk) << "this is not an SQLite file, not even close; it is long enough to have a header";
  EXPECT_THROW(open_sqlite(junk), StoreError);
}

TEST_F(SqliteBackend, Options_SynchronousIsCheckedAndFullWorks) {
  EXPECT_THROW(open_sqlite(dir_.file("a.db"), {.synchronous = "SOMETIMES"}), StoreError);
  auto full = open_sqlite(dir_.file("b.db"), {.synchronous = "FULL"});
  Commit c;
  c.messages.push_back(telemetry("PEN-0001", 1, at(0)));
  full->commit(c);
  EXPECT_EQ(full->stats().messages, 1);
}

TEST_F(SqliteBackend, ReadOnly_ReadsButNeverWritesOrCreates) {
  write_trail();
  auto reader = open_sqlite(path_, {.read_only = true});
  EXPECT_TRUE(reader->verify_audit().intact);
  EXPECT_EQ(reader->audit_head().seq, 10);
  EXPECT_THROW(reader->commit([] {
    Commit c;
    c.actions.push_back(action("tick", at(0), "engine"));
    return c;
  }()),
               StoreError);
  EXPECT_THROW(open_sqlite(dir_.file("missing.db"), {.read_only = true}), StoreError);
  EXPECT_FALSE(std::ifstream(dir_.file("missing.db")).good());
}

TEST_F(SqliteBackend, Checkpoints_CopyTheWalBackAndKeepItBounded) {
  const auto initial = std::filesystem::file_size(path_);
  for (std::uint64_t seq = 1; seq <= 6000; ++seq) {
    Commit c;
    c.messages.push_back(telemetry("PEN-0001", seq, at(0)));
    store_->commit(c);
  }
  // ~18000 WAL frames were written: the background checkpointer copied them into the file, and the
  // WAL restarted (at 10000 frames) instead of growing past its 64 MiB size limit.
  EXPECT_GT(std::filesystem::file_size(path_), initial + 1000000);
  EXPECT_LT(std::filesystem::file_size(path_ + "-wal"), 64u << 20);
  EXPECT_EQ(store_->stats().messages, 6000);
}

// Below the size at which the writer checkpoints by itself, only the background checkpointer copies the
// WAL back into the file. (Its connection once never read the file, so it did not know the file was in
// WAL mode, and every checkpoint through it copied nothing.)
TEST_F(SqliteBackend, Checkpoints_TheBackgroundCheckpointerCopiesBeforeTheWriterHasTo) {
  const auto initial = std::filesystem::file_size(path_);
  // Without a per-message index entry a commit of one message writes about 1.2 WAL frames (1000 of them
  // left the WAL at 1192 frames, too near the checkpointer's 1000 pages to wake it for sure): 3000 take
  // it well past those and far below the writer's own 10000.
  for (std::uint64_t seq = 1; seq <= 3000; ++seq) {
    Commit c;
    c.messages.push_back(telemetry("PEN-0001", seq, at(0)));
    store_->commit(c);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::filesystem::file_size(path_) <= initial + 100'000 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(std::filesystem::file_size(path_), initial + 100'000);
}

TEST_F(SqliteBackend, Commit_ErrorCarriesSqlitesMessage) {
  Commit c;
  c.commands.push_back(command("cmd-1", "PEN-0001", at(0)));
  store_->commit(c);
  try {
    store_->commit(c);
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("UNIQUE constraint failed"));
    EXPECT_THAT(e.what(), HasSubstr("commit 2"));
  }
}

TEST_F(SqliteBackend, Tokens_OnlyTheHashIsInTheFile) {
  store_->commit(Commit{.new_tokens = {{{"t1", "anna", "admin", at(0), false, {}}, sha256_hex("the-secret")}}});
  EXPECT_EQ(query_text(path_, "SELECT sha256 FROM tokens"), sha256_hex("the-secret"));
  EXPECT_EQ(query_text(path_, "SELECT count(*) FROM tokens WHERE sha256 LIKE '%the-secret%'"), "0");
}

// Version 10 makes token names unique: of tokens sharing a name the oldest keeps it, the others (and any
// token named "bootstrap", the bootstrap secret's actor) are renamed "<name>~<id>"; all keep their secrets.
TEST_F(SqliteBackend, Open_AVersionNineFileGetsUniqueTokenNamesForEveryClinic) {
  store_.reset();
  run_sql(path_, std::string(kDropAuditClinic) + R"sql(
    DROP INDEX tokens_name;
    ALTER TABLE tokens DROP COLUMN clinics;
    DELETE FROM schema_version WHERE version > 9;
    INSERT INTO tokens (id, sha256, name, role, created_at, revoked) VALUES
      ('tok_b', 'hash-b', 'anna', 'viewer', 200, 0),
      ('tok_a', 'hash-a', 'anna', 'manager', 100, 1),
      ('tok_c', 'hash-c', 'anna', 'admin', 200, 0),
      ('tok_d', 'hash-d', 'bootstrap', 'admin', 50, 0),
      ('tok_e', 'hash-e', 'ben', 'auditor', 300, 0);)sql");
  store_ = open_sqlite(path_);
  EXPECT_EQ(query_text(path_, "SELECT max(version) FROM schema_version"), "11");
  std::map<std::string, std::string> names;
  for (const auto& token : store_->tokens()) {
    names[token.id] = token.name;
    EXPECT_TRUE(token.clinics.all()) << token.id;
  }
  EXPECT_EQ(names, (std::map<std::string, std::string>{{"tok_a", "anna"},
                                                       {"tok_b", "anna~tok_b"},
                                                       {"tok_c", "anna~tok_c"},
                                                       {"tok_d", "bootstrap~tok_d"},
                                                       {"tok_e", "ben"}}));
  EXPECT_EQ(store_->token_by_hash("hash-c")->name, "anna~tok_c");
  EXPECT_EQ(store_->token_by_hash("hash-c")->role, "admin");
}

// --- tampering with the audit trail ---

TEST_F(SqliteBackend, Tamper_ChangedAfterNamesThatRecord) {
  write_trail();
  run_sql(path_, R"(UPDATE audit SET "after" = '{"n":999}' WHERE seq = 4)");
  const auto v = store_->verify_audit();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad, 4);
  EXPECT_EQ(v.records, 3);
  EXPECT_THAT(v.problem, HasSubstr("record 4 has been altered"));
  const auto report = verify_report(1);
  EXPECT_THAT(report, HasSubstr("ALTERED"));
  EXPECT_THAT(report, HasSubstr("first bad record: 4 (entity alert:4, action opened)"));
}

TEST_F(SqliteBackend, Tamper_DeletedRecordIsNamed) {
  write_trail();
  run_sql(path_, "DELETE FROM audit WHERE seq = 4");
  const auto v = store_->verify_audit();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad, 4);
  EXPECT_EQ(v.problem, "record 4 is missing: the trail goes from record 3 to record 5");
  EXPECT_THAT(verify_report(1), HasSubstr("first bad record: 4 (the record is gone)"));
}

TEST_F(SqliteBackend, Tamper_ChangedHashNamesThatRecord) {
  write_trail();
  run_sql(path_, "UPDATE audit SET hash = '" + sha256_hex("forged") + "' WHERE seq = 7");
  const auto v = store_->verify_audit();
  EXPECT_EQ(v.first_bad, 7);
  EXPECT_THAT(v.problem, HasSubstr("record 7 has been altered: its contents hash to "));
  EXPECT_THAT(v.problem, HasSubstr("but its stored hash is " + sha256_hex("forged")));
}

TEST_F(SqliteBackend, Tamper_BrokenLinkNamesThatRecord) {
  write_trail();
  run_sql(path_, "UPDATE audit SET prev_hash = '" + sha256_hex("elsewhere") + "' WHERE seq = 6");
  const auto v = store_->verify_audit();
  EXPECT_EQ(v.first_bad, 6);
  EXPECT_THAT(v.problem, HasSubstr("record 6 does not link to record 5"));
}

TEST_F(SqliteBackend, Tamper_RehashedRecordIsCaughtAtTheNextLink) {
  write_trail();
  // Someone who knows the algorithm alters record 4 and gives it a matching hash.
  const auto prev = query_text(path_, "SELECT prev_hash FROM audit WHERE seq = 4");
  auto forged = audit("alert:4", "opened", at(4), json{{"n", 999}});
  const auto hash = audit_hash(prev, audit_canonical(4, forged, prev));
  run_sql(path_, R"(UPDATE audit SET "after" = '{"n":999}', hash = ')" + hash + "' WHERE seq = 4");
  const auto v = store_->verify_audit();
  EXPECT_EQ(v.first_bad, 5);
  EXPECT_THAT(v.problem, HasSubstr("record 5 does not link to record 4"));
}

TEST_F(SqliteBackend, Tamper_FirstAndLastRecordsAreCoveredToo) {
  write_trail();
  run_sql(path_, "UPDATE audit SET at = at + 1 WHERE seq = 1");
  EXPECT_EQ(store_->verify_audit().first_bad, 1);
  run_sql(path_, "UPDATE audit SET at = at - 1 WHERE seq = 1");
  EXPECT_TRUE(store_->verify_audit().intact);

  run_sql(path_, "DELETE FROM audit WHERE seq = 10");
  const auto v = store_->verify_audit();
  EXPECT_EQ(v.first_bad, 10);
  EXPECT_THAT(v.problem, HasSubstr("record 10, the last, is missing"));
}

TEST_F(SqliteBackend, Tamper_TheTrailMustEndAtTheRecordedHead) {
  write_trail();
  const auto head = store_->audit_head();
  run_sql(path_, "UPDATE meta SET audit_seq = 12");
  auto v = store_->verify_audit();
  EXPECT_EQ(v.first_bad, 11);
  EXPECT_THAT(v.problem, HasSubstr("records 11 to 12 are missing from the end"));
  run_sql(path_, "UPDATE meta SET audit_seq = 10, audit_hash = '" + sha256_hex("other") + "'");
  v = store_->verify_audit();
  EXPECT_EQ(v.first_bad, 10);
  EXPECT_THAT(v.problem, HasSubstr("record 10 is not the head the store recorded"));
  run_sql(path_, "UPDATE meta SET audit_hash = '" + head.hash + "'");
  EXPECT_TRUE(store_->verify_audit().intact);
}

TEST_F(SqliteBackend, AuditChain_StoredBeforeRfc8785StillVerifies) {
  // Record 2 as the store wrote it before: its after as nlohmann's dump() (134.0, not RFC 8785's 134)
  // and a cause with a byte that is not UTF-8, both hashed as stored.
  store_->commit(Commit{.audit = {audit("cycle:1", "completed", at(1), json{{"temp_c", 134.5}})}});
  store_->commit(Commit{.audit = {audit("cycle:2", "completed", at(2), json{{"temp_c", 134.0}})}});
  EXPECT_EQ(query_text(path_, R"(SELECT "after" FROM audit WHERE seq = 2)"), R"({"temp_c":134})");
  const auto prev = query_text(path_, "SELECT prev_hash FROM audit WHERE seq = 2");
  const auto record = audit("cycle:2", "completed", at(2), json{{"temp_c", 134.0}});
  auto canonical = audit_canonical(2, record, prev);
  canonical.replace(canonical.find(R"("after":{"temp_c":134})"), 22, R"("after":{"temp_c":134.0})");
  const auto cause_at = canonical.find(R"("cause":")") + 9;
  canonical.insert(cause_at, "\xff");
  const auto hash = audit_hash(prev, canonical);
  run_sql(path_, R"(UPDATE audit SET "after" = '{"temp_c":134.0}', cause = CAST(X'FF' AS TEXT) || cause, hash = ')" +
                     hash + "' WHERE seq = 2; UPDATE meta SET audit_hash = '" + hash + "'");
  store_.reset();
  store_ = open_sqlite(path_);
  const auto v = store_->verify_audit();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records, 2);
  store_->commit(Commit{.audit = {audit("cycle:3", "completed", at(3), json{{"temp_c", 121.0}})}});
  EXPECT_TRUE(store_->verify_audit().intact);
  EXPECT_EQ(query_text(path_, "SELECT prev_hash FROM audit WHERE seq = 3"), hash);
}

// A file of version 10: its records name no clinic, and one of them is written here as sterifleet wrote
// records then (its hash over the form without "clinic", computed by hand). Version 11 leaves them as
// they were: they verify, list with a null clinic, and the chain goes on with records that name one.
TEST_F(SqliteBackend, Open_AVersionTenFileKeepsItsTrailVerifiableAndItsRecordsOfNoClinic) {
  write_trail();
  store_.reset();
  const auto prev = query_text(path_, "SELECT hash FROM audit WHERE seq = 10");
  const std::string canonical =
      R"({"action":"opened","actor":"device:PEN-0001","after":{"n":11},"at":")" + protocol::format_timestamp(at(11)) +
      R"(","before":null,"cause":"PEN-0001/1/17","entity":"alert:11","prev":")" + prev + R"(","seq":11})";
  const auto hash = sha256_hex(prev + canonical);
  const auto at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(at(11).time_since_epoch()).count();
  run_sql(path_, std::string(kDropAuditClinic) + "DELETE FROM schema_version WHERE version > 10; " +
                     "INSERT INTO audit (seq, commit_seq, at, actor, entity, action, \"before\", \"after\", cause, "
                     "prev_hash, hash) VALUES (11, 5, " +
                     std::to_string(at_ms) + ", 'device:PEN-0001', 'alert:11', 'opened', 'null', '{\"n\":11}', " +
                     "'PEN-0001/1/17', '" + prev + "', '" + hash +
                     "'); UPDATE meta SET audit_seq = 11, audit_hash = '" + hash + "'");
  store_ = open_sqlite(path_);
  EXPECT_EQ(query_text(path_, "SELECT max(version) FROM schema_version"), "11");
  auto v = store_->verify_audit();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records, 11);
  const auto old = store_->audit_records(10, 1).rows.at(0);
  EXPECT_EQ(old.at("hash"), hash);
  EXPECT_EQ(old.at("clinic"), nullptr);

  auto north = audit("alert:12", "opened", at(12));
  north.clinic = "north";
  store_->commit(Commit{.audit = {north}});
  v = store_->verify_audit();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records, 12);
  const auto listed = store_->audit_records(0, 100, {.clinic = "north"}).rows;
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].at("seq"), 12);
  EXPECT_EQ(listed[0].at("clinic"), "north");
  EXPECT_EQ(query_text(path_, "SELECT count(*) FROM audit WHERE clinic IS NULL"), "11");
}

// A record's clinic is covered by its hash: moving it to another clinic, to none, or giving a record of
// the fleet an empty one is tampering, named at that record.
TEST_F(SqliteBackend, Tamper_ARecordsClinicIsCoveredByItsHash) {
  Commit c;
  for (int seq = 1; seq <= 4; ++seq) {
    auto record = audit("alert:" + std::to_string(seq), "opened", at(seq));
    record.clinic = seq == 4 ? "" : "north";
    c.audit.push_back(record);
  }
  store_->commit(c);
  ASSERT_TRUE(store_->verify_audit().intact);
  for (const auto& [forgery, seq] : std::vector<std::pair<std::string, int>>{{"clinic = 'south' WHERE seq = 2", 2},
                                                                             {"clinic = NULL WHERE seq = 3", 3},
                                                                             {"clinic = 'north' WHERE seq = 4", 4}}) {
    const auto before = query_text(path_, "SELECT quote(clinic) FROM audit WHERE seq = " + std::to_string(seq));
    run_sql(path_, "UPDATE audit SET " + forgery);
    const auto v = store_->verify_audit();
    EXPECT_EQ(v.first_bad, seq) << forgery;
    EXPECT_THAT(v.problem, HasSubstr("record " + std::to_string(seq) + " has been altered")) << forgery;
    run_sql(path_, "UPDATE audit SET clinic = " + before + " WHERE seq = " + std::to_string(seq));
    EXPECT_TRUE(store_->verify_audit().intact) << forgery;
  }
  run_sql(path_, "UPDATE audit SET clinic = '' WHERE seq = 4");
  const auto v = store_->verify_audit();
  EXPECT_EQ(v.first_bad, 4);
  EXPECT_EQ(v.problem, "record 4 has been altered: its clinic is empty text, which the store never writes");
}

TEST_F(SqliteBackend, AuditChain_ARecordThatIsNotUtf8IsStoredRepairedAndTheChainVerifies) {
  write_trail();
  auto bad = audit("alert:11", "acknowledged", at(11), json{{"comment", "caf\xe9"}});
  bad.cause = "POST /api/v1/alerts/11/ack?\xff";
  store_->commit(Commit{.audit = {bad}});
  EXPECT_TRUE(store_->verify_audit().intact);
  EXPECT_EQ(query_text(path_, "SELECT after FROM audit ORDER BY seq DESC LIMIT 1"),
            "{\"comment\":\"caf\xef\xbf\xbd\"}");
  EXPECT_EQ(query_text(path_, "SELECT cause FROM audit ORDER BY seq DESC LIMIT 1"),
            "POST /api/v1/alerts/11/ack?\xef\xbf\xbd");
}

TEST_F(SqliteBackend, Tamper_ADamagedSnapshotIsRefusedAndTheOlderOneRemains) {
  for (std::uint64_t seq = 1; seq <= 2; ++seq) store_->commit(Commit{.messages = {telemetry("PEN-0001", seq, at(0))}});
  store_->save_snapshot({1, at(1), "older state"});
  store_->save_snapshot({2, at(2), "newer state"});
  run_sql(path_, "UPDATE snapshots SET state = CAST('newer statf' AS BLOB) WHERE commit_seq = 2");
  try {
    store_->latest_snapshot();
    FAIL() << "a damaged snapshot must not be returned";
  } catch (const DamagedSnapshot& e) {
    EXPECT_EQ(e.commit(), 2);
    EXPECT_THAT(e.what(), HasSubstr("damaged"));
  }
  EXPECT_EQ(store_->latest_snapshot_before(2)->state, "older state");
}

TEST_F(SqliteBackend, AuditVerify_ReportsAnIntactTrail) {
  write_trail();
  const auto report = verify_report(0);
  EXPECT_THAT(report, HasSubstr("intact"));
  EXPECT_THAT(report, HasSubstr("10 records verified"));
  EXPECT_THAT(report, HasSubstr("head: record 10, hash " + store_->audit_head().hash));
}

TEST_F(SqliteBackend, AuditVerify_CannotReadIsTwo) {
  std::ostringstream out;
  EXPECT_EQ(app::audit_verify({dir_.file("nothing-here.db"), {}, std::nullopt}, out), 2);
  EXPECT_THAT(out.str(), HasSubstr("no such file"));
  const auto junk = dir_.file("junk.db");
  std::ofstream(junk) << "this is not an SQLite file, not even close; it is long enough to have a header";
  std::ostringstream junk_out;
  EXPECT_EQ(app::audit_verify({junk, {}, std::nullopt}, junk_out), 2);
  EXPECT_THAT(junk_out.str(), HasSubstr("cannot verify"));
}

}  // namespace
}  // namespace sterifleet::store::testing
