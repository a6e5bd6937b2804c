// `sterifleet migrate` against real SQLite and PostgreSQL: a store filled by the real fleet (three
// clinics, alerts, a manual reprocessing, tokens, quarantined messages, notifications) is copied into a
// cluster's database, checked there, and the copy refuses what it must.
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "audit_command.hpp"
#include "migrate_command.hpp"
#include "sterifleet/checkpoint/checkpoint.hpp"
#include "sterifleet/checkpoint/history.hpp"
#include "sterifleet/crypto/ed25519.hpp"
#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/store/store.hpp"
#include "sterifleet/testing/postgres.hpp"
#include "sterifleet/testing/sqlite_file.hpp"
#include "sterifleet/testing/subprocess.hpp"
#include "store_migration.hpp"

namespace sterifleet::app {
namespace {

using nlohmann::json;
using protocol::Timestamp;
using testing::sqlite_integer;
using testing::sqlite_rows;

const Timestamp kDay = *protocol::parse_timestamp("2026-11-02T00:00:00Z");
Timestamp at(int hour, int minute = 0) { return kDay + std::chrono::hours(hour) + std::chrono::minutes(minute); }

class NullSink : public fleet::CommandSink {
 public:
  void publish(const std::string&, const std::string&) override {}
};

std::string pg_text(const std::string& url, const std::string& sql) {
  pqxx::connection db(url);
  pqxx::read_transaction tx(db);
  const auto r = tx.exec(sql);
  return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
}
std::int64_t pg_integer(const std::string& url, const std::string& sql) { return std::stoll(pg_text(url, sql)); }

/// The store a daemon leaves behind: north, south and east (east pinned to shard 5 by the migration).
class FilledStore {
 public:
  FilledStore() {
    store_ = store::open_sqlite(path());
    fleet_ = std::make_unique<fleet::Fleet>(engine::default_policy(), *store_, commands_, events_, metrics_,
                                            [this] { return now_; });
    fleet_->restore();
    for (const auto* clinic : {"north", "south", "east"}) {
      const std::string pen = std::string("PEN-") + clinic;
      send(clinic, pen, protocol::Birth{protocol::DeviceKind::pen, "Dermapen 4", "2.1.0", std::nullopt}, at(7));
      // Two sessions with one cartridge and no reprocessing between: cartridge.reused and
      // device.used_without_reprocessing in every clinic.
      for (const auto* session : {"S1", "S2"}) {
        send(clinic, pen, start(session), at(8));
        send(clinic, pen, protocol::SessionEnd{protocol::SessionId{session}, 1200, std::chrono::seconds{900}},
             at(8, 20));
      }
    }
    // Two quarantined messages of east whose alerts are named after their quarantine ids: one whose
    // envelope reads (its key is the subject), one that is not JSON at all (its id is the subject).
    now_ = at(9);
    const auto bad_body = fleet_->ingest("sterifleet/v1/east/PEN-east/event",
                                         R"({"v":1,"device":"PEN-east","boot":1,"seq":6,)"
                                         R"("ts":"2026-11-02T09:00:00Z","type":"session.start","body":{}})");
    EXPECT_EQ(bad_body.disposition, fleet::Fleet::Disposition::quarantined);
    EXPECT_EQ(fleet_->ingest("sterifleet/v1/east/PEN-east/event", "{not json").disposition,
              fleet::Fleet::Disposition::quarantined);
    EXPECT_EQ(fleet_->ingest("not/a/topic", "x").disposition, fleet::Fleet::Disposition::quarantined);
    now_ = at(10);
    const json manual = {{"clinic", "south"},
                         {"id", "SOAK-1"},
                         {"cycle",
                          {{"cycle", "MAN-1"},
                           {"method", "steam_prevac"},
                           {"wrapped", true},
                           {"temp_c", 134.0},
                           {"exposure_s", 240},
                           {"pressure_kpa", 206.0},
                           {"load", {"PEN-south"}},
                           {"ci", "pass"},
                           {"operator", "nurse-1"}}}};
    EXPECT_TRUE(fleet_->manual_reprocessing(manual, "token:kim").ok());
    EXPECT_TRUE(fleet_->acknowledge(alert("cartridge.reused", "north"), "token:mia", "cartridge discarded").ok());
    EXPECT_TRUE(fleet_->acknowledge(rejected_alert(), "token:mia", "looking at it").ok());
    for (const auto* name : {"kim", "mia"}) {
      const store::NewToken token{{std::string("t-") + name, name, "manager", at(6), false, {}},
                                  std::string(63, 'a') + (name[0] == 'k' ? "1" : "2")};
      EXPECT_TRUE(fleet_->create_token(token, "token:bootstrap", "test set-up").ok());
    }
    // A notification of the alert named after a quarantine id, and a receiver that asked to be left alone.
    store::Commit outbox;
    outbox.notifications.push_back({"n-" + rejected_alert(), rejected_alert(), "east", "pager", "firing", "critical",
                                    at(9), at(9), std::chrono::milliseconds{0}, std::nullopt,
                                    R"({"alert":")" + rejected_alert() + R"("})"});
    store_->commit(outbox);
    store_->disable_receiver("old-pager", at(11), "410 Gone");
  }

  void close() {
    fleet_.reset();
    store_.reset();
  }

  std::string path() const { return (dir_.path() / "sterifleet.db").string(); }
  store::Store& store() { return *store_; }

  std::string alert(const std::string& rule, const std::string& clinic) {
    store::AlertQuery query;
    query.rule = rule;
    query.clinic = clinic;
    const auto rows = store_->alerts(query).rows;
    EXPECT_EQ(rows.size(), 1u) << rule << " in " << clinic;
    return rows.empty() ? std::string() : rows.front().at("id").get<std::string>();
  }
  /// device.event_rejected of the message whose envelope read: its trigger is "quarantine:<id>".
  std::string rejected_alert() {
    store::AlertQuery query;
    query.rule = "device.event_rejected";
    for (const auto& row : store_->alerts(query).rows) {
      if (row.at("subject") == "PEN-east/1/6") return row.at("id");
    }
    ADD_FAILURE() << "no device.event_rejected alert for PEN-east/1/6";
    return {};
  }

 private:
  static protocol::Body start(const std::string& session) {
    return protocol::SessionStart{
        protocol::SessionId{session},
        protocol::Cartridge{protocol::CartridgeId{"C-" + session.substr(0, 1)}, protocol::LotId{"LOT-7"},
                            *protocol::parse_date("2027-06-30"), 12, 300000, std::chrono::seconds{3600}},
        protocol::Millimetres{1.5},
        protocol::Hertz{100},
        protocol::OperatorId{"op-anna"},
        protocol::PatientRef{"pt-" + session},
        protocol::TreatmentArea::cheek};
  }

  void send(const std::string& clinic, const std::string& device, protocol::Body body, Timestamp when) {
    now_ = when;
    const protocol::DeviceMessage message{
        protocol::ClinicId{clinic}, {protocol::DeviceId{device}, 1, ++seq_[device], when}, std::move(body)};
    const auto result = fleet_->ingest(protocol::topic_of(message), protocol::encode(message));
    ASSERT_EQ(result.disposition, fleet::Fleet::Disposition::stored) << result.reason << ": " << result.detail;
  }

  testing::TempDir dir_{"sterifleet-migrate"};
  std::unique_ptr<store::Store> store_;
  fleet::Metrics metrics_;
  fleet::EventBus events_;
  NullSink commands_;
  Timestamp now_ = kDay;
  std::unique_ptr<fleet::Fleet> fleet_;
  std::map<std::string, std::uint64_t> seq_;
};

int migrate(const std::string& from, const std::string& to, std::string& output) {
  std::ostringstream out;
  const int exit = migrate_store({from, to, 32, {"east=5"}}, out);
  output = out.str();
  return exit;
}

TEST(Migrate, CopiesEveryTableSplitByClinicAndVerifies) {
  FilledStore filled;
  const auto rejected = filled.rejected_alert();
  // What an auditor saved before the migration.
  const auto saved =
      checkpoint::sign(crypto::SigningKey::generate(), filled.store(), filled.store().audit_head(), at(12));
  filled.close();
  const auto& db = filled.path();
  const auto to = testing::shared_postgres().fresh_database("migrate");
  std::string output;
  ASSERT_EQ(migrate(db, to, output), migrate_verified) << output;
  EXPECT_NE(output.find("audit chain: "), std::string::npos) << output;
  EXPECT_NE(output.find("replays its journal on its first start"), std::string::npos) << output;

  // Every row, each table.
  for (const auto* table : {"messages", "quarantine", "alerts", "sessions", "cycles", "commands", "tokens", "audit",
                            "notifications", "disabled_receivers"}) {
    EXPECT_EQ(pg_integer(to, std::string("SELECT count(*) FROM ") + table),
              sqlite_integer(db, std::string("SELECT count(*) FROM ") + table))
        << table;
  }
  // Clinics on their shards (east pinned), each shard numbering its own commits from 1 without gaps.
  EXPECT_EQ(pg_text(to,
                    "SELECT string_agg(clinic || '=' || shard || ':' || pinned, ',' ORDER BY clinic) "
                    "FROM clinic_shards"),
            "east=5:true,north=" + pg_text(to, "SELECT shard FROM messages WHERE clinic = 'north' LIMIT 1") +
                ":false,south=" + pg_text(to, "SELECT shard FROM messages WHERE clinic = 'south' LIMIT 1") + ":false");
  EXPECT_EQ(pg_integer(to,
                       "SELECT count(*) FROM (SELECT shard FROM commits GROUP BY shard "
                       "HAVING max(seq) <> count(*) OR min(seq) <> 1) gaps"),
            0);
  EXPECT_EQ(pg_integer(to,
                       "SELECT count(*) FROM messages m WHERE NOT EXISTS "
                       "(SELECT 1 FROM commits c WHERE c.shard = m.shard AND c.seq = m.commit_seq)"),
            0);
  // Tokens' entries on shard 0; the daemon's start, which judges every clinic, on every shard that has one.
  EXPECT_EQ(pg_text(to, "SELECT string_agg(DISTINCT shard::text, ',') FROM actions WHERE kind = 'token_created'"), "0");
  EXPECT_EQ(pg_integer(to, "SELECT count(DISTINCT shard) FROM actions WHERE kind = 'start'"),
            pg_integer(to, "SELECT count(*) FROM (SELECT shard FROM clinic_shards UNION SELECT 0) s"));
  // The copy's leases are released, so the daemons can claim them.
  EXPECT_EQ(pg_integer(to, "SELECT count(*) FROM shard_leases WHERE owner IS NOT NULL"), 0);
  EXPECT_EQ(pg_integer(to, "SELECT count(*) FROM shard_state"), 32);

  // The audit chain verbatim: every record's hash as it was, and it verifies on PostgreSQL.
  const auto hashes = sqlite_rows(db,
                                  "SELECT group_concat(seq || ':' || hash, ',') FROM (SELECT * FROM audit "
                                  "ORDER BY seq)");
  EXPECT_EQ(pg_text(to, "SELECT string_agg(seq || ':' || hash, ',' ORDER BY seq) FROM audit WHERE chain = 'fleet'"),
            hashes.at(0).at(0));
  const auto verification = store::open_postgresql(to)->verify_audit();
  EXPECT_TRUE(verification.intact) << verification.problem;
  EXPECT_EQ(verification.records, sqlite_integer(db, "SELECT count(*) FROM audit"));
  const auto target = store::open_postgresql(to);
  const auto history = checkpoint::compare_history(
      {saved}, {verification.records, !verification.walked_to_end},
      [&](std::int64_t seq) { return target->audit_records(seq - 1, 1).rows.at(0).at("hash").get<std::string>(); });
  EXPECT_EQ(history.finding, checkpoint::Finding::holds) << history.summary;
  EXPECT_EQ(history.proven_through, saved.seq);

  // Quarantine ids in the PostgreSQL scheme, and the alert named after one renamed with its notification.
  const auto old_id = sqlite_integer(db, "SELECT id FROM quarantine WHERE CAST(payload AS TEXT) LIKE '%\"seq\":6%'");
  const auto new_id = old_id * 1024 + 5;
  EXPECT_EQ(pg_integer(to, "SELECT shard FROM quarantine WHERE id = " + std::to_string(new_id)), 5);
  EXPECT_EQ(
      pg_integer(to, "SELECT count(*) FROM quarantine WHERE topic = 'not/a/topic' AND shard = 0 AND id % 1024 = 0"), 1);
  const auto renamed =
      pg_text(to, "SELECT id FROM alerts WHERE row LIKE '%quarantine:" + std::to_string(new_id) + "%'");
  ASSERT_FALSE(renamed.empty());
  EXPECT_NE(renamed, rejected);
  EXPECT_EQ(pg_integer(to, "SELECT count(*) FROM alerts WHERE id = '" + rejected + "'"), 0);
  EXPECT_EQ(pg_text(to, "SELECT alert_id FROM notifications"), renamed);
  EXPECT_EQ(pg_text(to, "SELECT body::json ->> 'alert' FROM actions WHERE body LIKE '%looking at it%' AND shard = 5"),
            renamed);
  // The alert lists as it did, under its new name, and the shard's store finds it.
  store::PostgresOptions east;
  east.writer = store::ShardWriter{5, 0, "test"};
  const auto shard_store = store::open_postgresql(to, east);
  EXPECT_EQ(shard_store->last_quarantine_id(),
            sqlite_integer(db, "SELECT max(id) FROM quarantine WHERE clinic = 'east'") * 1024 + 5);
  EXPECT_TRUE(shard_store->alert(renamed).has_value());

  // A second copy into the same database is refused and changes nothing.
  const auto messages = pg_integer(to, "SELECT count(*) FROM messages");
  ASSERT_EQ(migrate(db, to, output), migrate_refused) << output;
  EXPECT_NE(output.find("already holds data (messages: " + std::to_string(messages) + " rows"), std::string::npos)
      << output;
  EXPECT_EQ(pg_integer(to, "SELECT count(*) FROM messages"), messages);
}

// `sterifleet audit verify --db postgresql://...`: the cluster's whole trail, checked as the SQLite one is,
// and the URL's password never in what it prints.
TEST(Migrate, AuditVerifyOfTheCopy_IsIntact_NamesARecordChangedSince_AndNeverShowsThePassword) {
  FilledStore filled;
  filled.close();
  const auto to = testing::shared_postgres().fresh_database("migrate_verify");
  std::string output;
  ASSERT_EQ(migrate(filled.path(), to, output), migrate_verified) << output;
  // The test server trusts local connections, so a password in the URL changes nothing but what is shown.
  auto with_password = to;
  ASSERT_NE(with_password.find("postgres@"), std::string::npos) << to;
  with_password.replace(with_password.find("postgres@"), 9, "postgres:s3cret-pw@");
  std::ostringstream intact;
  EXPECT_EQ(audit_verify({with_password, {}, std::nullopt}, intact), audit_intact) << intact.str();
  EXPECT_NE(intact.str().find(": intact"), std::string::npos) << intact.str();

  {
    pqxx::connection db(to);
    pqxx::work tx(db);
    tx.exec0("UPDATE audit SET action = 'erased' WHERE chain = 'fleet' AND seq = 3");
    tx.commit();
  }
  std::ostringstream altered;
  EXPECT_EQ(audit_verify({with_password, {}, std::nullopt}, altered), audit_altered) << altered.str();
  EXPECT_NE(altered.str().find("first bad record: 3"), std::string::npos) << altered.str();

  auto elsewhere = with_password;
  elsewhere.replace(elsewhere.rfind('/') + 1, std::string::npos, "no_such_database");
  std::ostringstream unreadable;
  EXPECT_EQ(audit_verify({elsewhere, {}, std::nullopt}, unreadable), audit_unreadable) << unreadable.str();
  for (const auto& printed : {intact.str(), altered.str(), unreadable.str()}) {
    EXPECT_EQ(printed.find("s3cret-pw"), std::string::npos) << printed;
  }
}

TEST(Migrate, RefusesAStoreThatIsOpen) {
  FilledStore filled;  // open, as a running daemon holds it
  const auto to = testing::shared_postgres().fresh_database("migrate_open");
  std::string output;
  EXPECT_EQ(migrate(filled.path(), to, output), migrate_refused) << output;
  EXPECT_NE(output.find(filled.path() + " is open in process " + std::to_string(::getpid())), std::string::npos)
      << output;
  EXPECT_NE(output.find("systemctl stop sterifleetd"), std::string::npos) << output;
  filled.close();
  EXPECT_EQ(migrate(filled.path(), to, output), migrate_verified) << output;
}

TEST(Migrate, RefusesAStoreAnotherProcessHasOpen) {
  FilledStore filled;
  filled.close();
  // Another program with the file open, as a running daemon has it: Python's sqlite3 module, reading
  // and then waiting, so that its connection (and its lock on the WAL index) stays.
  testing::TempDir logs;
  testing::Subprocess holder({"python3", "-c",
                              "import sqlite3, sys, time\n"
                              "db = sqlite3.connect(sys.argv[1])\n"
                              "db.execute('SELECT count(*) FROM messages').fetchall()\n"
                              "time.sleep(120)\n",
                              filled.path()},
                             logs.path() / "out", logs.path() / "err");
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool held = false;
  while (!held && holder.running() && std::chrono::steady_clock::now() < until) {
    try {
      refuse_open_sqlite(filled.path());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } catch (const MigrationRefused&) {
      held = true;
    }
  }
  ASSERT_TRUE(held) << "the holder never opened the store: " << holder.stderr_text();
  const auto to = testing::shared_postgres().fresh_database("migrate_other");
  std::string output;
  EXPECT_EQ(migrate(filled.path(), to, output), migrate_refused) << output;
  EXPECT_NE(output.find("is open in process " + std::to_string(holder.pid())), std::string::npos) << output;
  holder.kill();
  EXPECT_EQ(pg_integer(to, "SELECT count(*) FROM pg_tables WHERE tablename = 'messages'"), 0);
}

TEST(Migrate, RefusesAShardCountTheClusterDoesNotHave) {
  FilledStore filled;
  filled.close();
  const auto to = testing::shared_postgres().fresh_database("migrate_shards");
  store::migrate_postgresql(to);
  pqxx::connection connection(to);
  pqxx::work tx(connection);
  tx.exec0("INSERT INTO cluster (id, shards) VALUES (1, 16)");
  tx.commit();
  std::string output;
  EXPECT_EQ(migrate(filled.path(), to, output), migrate_refused) << output;
  EXPECT_NE(output.find("the target's cluster has 16 shards and --shards is 32"), std::string::npos) << output;
}

}  // namespace
}  // namespace sterifleet::app
