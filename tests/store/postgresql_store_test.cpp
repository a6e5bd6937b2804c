// What only the PostgreSQL back-end has: migrations shared by daemons starting together, shards that
// number their commits apart, the fencing of a writer whose lease is gone, and read-only stores.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include "sterifleet/testing/postgres.hpp"
#include "store_fixtures.hpp"

namespace sterifleet::store::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class PostgresStore : public ::testing::Test {
 protected:
  PostgresStore() : url_(server().fresh_database("pgstore")), database_(url_.substr(url_.rfind('/') + 1)) {}

  static sterifleet::testing::Postgres& server() { return sterifleet::testing::shared_postgres(); }
  std::string sql(const std::string& text) { return server().query(database_, text); }

  /// What daemon/cluster does: takes the shard's lease (for a day unless told) with this owner and epoch.
  void lease(int shard, const std::string& owner, std::int64_t epoch, const std::string& lasting = "1 day") {
    sql("INSERT INTO shard_leases (shard, owner, epoch, expires_at) VALUES (" + std::to_string(shard) + ", '" + owner +
        "', " + std::to_string(epoch) + ", clock_timestamp() + interval '" + lasting +
        "') ON CONFLICT (shard) DO UPDATE SET owner = excluded.owner, epoch = excluded.epoch, "
        "expires_at = excluded.expires_at");
  }

  std::unique_ptr<Store> writer(int shard = 0, const std::string& owner = "test", std::int64_t epoch = 1) {
    return open_postgresql(url_, {.writer = ShardWriter{shard, epoch, owner}});
  }

  std::unique_ptr<Store> leased_writer(int shard = 0) {
    auto store = writer(shard);
    lease(shard, "test", 1);
    return store;
  }

  std::string url_;
  std::string database_;
};

Commit message_commit(std::uint64_t seq, int minute = 0) {
  Commit c;
  c.messages.push_back(telemetry("PEN-0001", seq, at(minute)));
  c.audit.push_back(audit("pen:PEN-0001", "telemetry", at(minute)));
  return c;
}

// --- migrations ---

TEST_F(PostgresStore, Migration_RunsOnceAndAReopenFindsItDone) {
  writer().reset();
  writer().reset();
  EXPECT_EQ(sql("SELECT count(*) FROM schema_version"), "2");
  EXPECT_EQ(sql("SELECT max(version) FROM schema_version"), "2");
}

TEST_F(PostgresStore, Migration_ADatabaseFromANewerSterifleetIsRefused) {
  writer().reset();
  sql("INSERT INTO schema_version (version, description) VALUES (99, 'from the future')");
  try {
    writer();
    FAIL() << "a newer schema must be refused";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("schema version 99, written by a newer sterifleet"));
  }
  EXPECT_THROW(open_postgresql(url_), StoreError) << "read-only too";
}

TEST_F(PostgresStore, Migration_DaemonsStartingTogetherMigrateOnce) {
  constexpr int kDaemons = 6;
  std::vector<std::thread> starts;
  std::atomic<int> opened{0};
  std::vector<std::string> errors(kDaemons);
  for (int shard = 0; shard < kDaemons; ++shard) {
    starts.emplace_back([&, shard] {
      try {
        writer(shard);
        ++opened;
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(shard)] = e.what();
      }
    });
  }
  for (auto& t : starts) t.join();
  EXPECT_EQ(opened.load(), kDaemons) << ::testing::PrintToString(errors);
  EXPECT_EQ(sql("SELECT count(*) FROM schema_version"), "2");
}

TEST_F(PostgresStore, ReadOnly_AnUnmigratedDatabaseIsNotAStore) {
  try {
    open_postgresql(url_);
    FAIL() << "an empty database must be refused";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("not a sterifleet store"));
  }
}

TEST_F(PostgresStore, Open_AWriterOfNoShardOrOfNobodyIsRefused) {
  EXPECT_THAT([&] { writer(1024); }, ::testing::ThrowsMessage<StoreError>(HasSubstr("shards are 0 to 1023")));
  EXPECT_THAT([&] { writer(-1); }, ::testing::ThrowsMessage<StoreError>(HasSubstr("shard -1 is out of range")));
  EXPECT_THAT([&] { writer(0, ""); }, ::testing::ThrowsMessage<StoreError>(HasSubstr("has no owner")));
}

// --- fencing ---

TEST_F(PostgresStore, Fencing_AfterAnotherOwnerClaimsTheLeaseACommitIsRefusedAndKeepsNothing) {
  auto store = leased_writer();
  store->commit(message_commit(1));
  const auto head = store->audit_head();
  lease(0, "other", 2);  // a takeover: the epoch moves on
  Commit late = message_commit(2, 1);
  late.alerts.push_back(alert({.opened = at(1)}));
  try {
    store->commit(late);
    FAIL() << "a commit after the takeover must be refused";
  } catch (const FencedOut& e) {
    EXPECT_THAT(e.what(), HasSubstr("shard 0 lease epoch 1 of test is not held"));
  }
  EXPECT_FALSE(store->stored_payload("PEN-0001", 1, 2));
  EXPECT_EQ(store->audit_head().seq, head.seq);
  EXPECT_EQ(store->stats().alerts, 0);
  EXPECT_EQ(sql("SELECT count(*) FROM commits"), "1");
  EXPECT_THROW(store->commit_group({}, 7), FencedOut) << "a receipt alone is a write of the shard too";
  EXPECT_EQ(store->last_receipt(), 0);

  // The new owner goes on from the last commit the old one made.
  auto successor = writer(0, "other", 2);
  EXPECT_EQ(successor->commit(message_commit(2, 1)), 2);
  EXPECT_TRUE(successor->verify_audit().intact);
}

TEST_F(PostgresStore, Fencing_AnExpiredLeaseRefusesCommitsAndSnapshots) {
  auto store = leased_writer();
  EXPECT_EQ(store->commit(message_commit(1)), 1);
  sql("UPDATE shard_leases SET expires_at = clock_timestamp() - interval '1 second' WHERE shard = 0");
  EXPECT_THROW(store->commit(message_commit(2)), FencedOut);
  EXPECT_THROW(store->save_snapshot({1, at(0), "state"}), FencedOut);
  EXPECT_FALSE(store->latest_snapshot());
  EXPECT_EQ(sql("SELECT count(*) FROM messages"), "1");
}

TEST_F(PostgresStore, Fencing_AWriterThatNeverHeldTheLeaseCommitsNothing) {
  leased_writer().reset();
  auto stranger = writer(0, "stranger", 1);
  EXPECT_THROW(stranger->commit(message_commit(1)), FencedOut);
  EXPECT_EQ(sql("SELECT count(*) FROM commits"), "0");
}

// --- connections ---

TEST_F(PostgresStore, Connections_AWriterAndReadersWhoseSessionsEndedGoOnAfterOneFailedCall) {
  auto store = leased_writer();
  store->commit(message_commit(1));
  EXPECT_EQ(store->stats().messages, 1);  // a reading connection is open now
  // What a PostgreSQL restart or an operator's pg_terminate_backend does to every session of the store.
  sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
      "AND pid <> pg_backend_pid()");
  std::int64_t committed = 0;
  for (int attempt = 0; attempt < 2 && committed == 0; ++attempt) {
    try {
      committed = store->commit(message_commit(2, 1));
    } catch (const FencedOut&) {
      FAIL() << "a lost connection is not a lost lease";
    } catch (const StoreError&) {
      // The call that found the session gone fails, kept nothing, and the next one reconnects.
    }
  }
  EXPECT_EQ(committed, 2);
  std::int64_t messages = 0;
  for (int attempt = 0; attempt < 2 && messages == 0; ++attempt) {
    try {
      messages = store->stats().messages;
    } catch (const StoreError&) {
    }
  }
  EXPECT_EQ(messages, 2);
  EXPECT_TRUE(store->verify_audit().intact);
}

// --- shards ---

TEST_F(PostgresStore, Shards_NumberTheirCommitsApartAndShareOneUnforkedChain) {
  auto zero = leased_writer(0);
  auto one = leased_writer(1);
  for (std::uint64_t i = 1; i <= 3; ++i) {
    Commit a;
    a.messages.push_back(telemetry("PEN-0001", i, at(0)));
    a.audit.push_back(audit("pen:PEN-0001", "telemetry", at(0)));
    a.quarantined.push_back(quarantined("bad_json", at(0)));
    a.quarantined.back().id = zero->quarantine_id_after(zero->last_quarantine_id());
    EXPECT_EQ(zero->commit(a), static_cast<std::int64_t>(i));
    Commit b;
    b.messages.push_back(telemetry("PEN-0100", i, at(0), "south"));
    b.audit.push_back(audit("pen:PEN-0100", "telemetry", at(0)));
    b.quarantined.push_back(quarantined("schema", at(0)));  // numbered by the store
    EXPECT_EQ(one->commit(b), static_cast<std::int64_t>(i));
  }
  EXPECT_EQ(sql("SELECT count(DISTINCT id) FROM quarantine"), "6") << "quarantine ids never collide across shards";
  std::vector<std::string> devices;
  one->read_journal(0, [&](const JournalEntry& e) {
    if (const auto* m = std::get_if<StoredMessage>(&e.input)) devices.push_back(m->device);
  });
  EXPECT_EQ(devices, (std::vector<std::string>(3, "PEN-0100"))) << "a shard replays only its own journal";
  const auto verification = zero->verify_audit();
  EXPECT_TRUE(verification.intact) << verification.problem;
  EXPECT_EQ(verification.records, 6);
}

// A record's clinic is stored (NULL for the fleet's) and covered by its hash: moving it to another
// clinic, or giving the fleet's record an empty one, is named at that record.
TEST_F(PostgresStore, Audit_ARecordsClinicIsStoredAndCoveredByItsHash) {
  auto store = leased_writer();
  Commit c;
  c.audit.push_back(audit("alert:1", "opened", at(1)));
  c.audit.back().clinic = "north";
  c.audit.push_back(audit("policy", "reload", at(2)));
  store->commit(c);
  EXPECT_EQ(sql("SELECT string_agg(chain || '/' || coalesce(clinic, 'NULL'), ',' ORDER BY id) FROM audit"),
            "clinic:north/north,fleet/NULL");
  ASSERT_TRUE(store->verify_audit().intact);
  sql("UPDATE audit SET clinic = 'south' WHERE chain = 'clinic:north' AND seq = 1");
  auto v = store->verify_audit();
  EXPECT_EQ(v.first_bad, 1);
  EXPECT_EQ(v.first_bad_chain, "clinic:north");
  EXPECT_THAT(v.problem, HasSubstr("chain clinic:north: record 1 has been altered"));
  sql("UPDATE audit SET clinic = 'north' WHERE chain = 'clinic:north' AND seq = 1");
  sql("UPDATE audit SET clinic = '' WHERE chain = 'fleet' AND seq = 1");
  v = store->verify_audit();
  EXPECT_EQ(v.first_bad, 1);
  EXPECT_EQ(v.first_bad_chain, "fleet");
  EXPECT_EQ(v.problem, "record 1 has been altered: its clinic is empty text, which the store never writes");
}

// --- a chain per clinic, anchored into the fleet chain ---

Commit clinic_records(const std::string& clinic, int count, int minute) {
  Commit c;
  for (int i = 0; i < count; ++i) {
    c.audit.push_back(audit("alert:" + clinic + std::to_string(i), "opened", at(minute), json{{"n", i}}));
    c.audit.back().clinic = clinic;
  }
  return c;
}

// Each shard appends to its clinics' chains alone; its owner anchors the chains it moved into the fleet
// chain, which every shard shares (and which checkpoints sign).
TEST_F(PostgresStore, Audit_EachClinicHasItsChain_AShardAnchorsTheChainsItMoved) {
  auto zero = leased_writer(0);
  auto one = leased_writer(1);
  zero->commit(clinic_records("north", 2, 1));
  one->commit(clinic_records("south", 3, 1));
  Commit fleet;
  fleet.audit.push_back(audit("policy", "reload", at(2)));
  zero->commit(fleet);
  EXPECT_EQ(sql("SELECT string_agg(chain || ':' || seq, ',' ORDER BY chain) FROM audit_heads"),
            "clinic:north:2,clinic:south:3,fleet:1");

  auto v = zero->verify_audit();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records, 6);
  EXPECT_EQ(v.chains, 3);
  EXPECT_EQ(v.fleet_records, 1);
  EXPECT_EQ(v.unanchored, 5);

  EXPECT_EQ(zero->anchor_audit_chains(at(3)), 1u);
  EXPECT_EQ(zero->anchor_audit_chains(at(4)), 0u) << "nothing moved since";
  const auto anchor = zero->audit_record(fleet_chain, 2);
  ASSERT_TRUE(anchor);
  EXPECT_EQ(anchor->at("entity"), anchor_entity);
  EXPECT_EQ(anchor->at("action"), anchor_action);
  EXPECT_EQ(anchor->at("actor"), "shard:0");
  EXPECT_EQ(anchor->at("clinic"), nullptr);
  const auto north = zero->audit_record("clinic:north", 2);
  ASSERT_TRUE(north);
  EXPECT_EQ(anchor->at("after"), (json{{"chains", {{"clinic:north", {{"seq", 2}, {"hash", north->at("hash")}}}}}}));
  EXPECT_EQ(zero->audit_head().seq, 2) << "the fleet chain's head: what a checkpoint signs";
  EXPECT_EQ(one->anchor_audit_chains(at(3)), 1u);
  v = zero->verify_audit();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.unanchored, 0);
  EXPECT_EQ(v.records, 8);

  // The listing runs across chains in the order records were stored; a clinic's is its chain.
  const auto all = zero->audit_records(0, 100).rows;
  ASSERT_EQ(all.size(), 8u);
  EXPECT_EQ(all.front().at("chain"), "clinic:north");
  EXPECT_EQ(all.back().at("chain"), "fleet");
  const auto south = zero->audit_records(0, 2, {.clinic = "south"});
  ASSERT_EQ(south.rows.size(), 2u);
  EXPECT_EQ(south.rows[1].at("seq"), 2);
  const auto rest = zero->audit_records(std::stoll(south.next), 2, {.clinic = "south"});
  ASSERT_EQ(rest.rows.size(), 1u);
  EXPECT_EQ(rest.rows[0].at("seq"), 3);
  EXPECT_EQ(rest.rows[0].at("chain"), "clinic:south");
  EXPECT_EQ(zero->stats().audit_records, 8);
}

// A stale owner cannot fork a clinic's chain: (chain, seq) is the key, and fencing refuses it first.
TEST_F(PostgresStore, Audit_AClinicsChainCannotForkUnderTwoWriters) {
  auto stale = leased_writer(0);
  stale->commit(clinic_records("north", 1, 1));
  lease(0, "successor", 2);
  auto successor = writer(0, "successor", 2);
  successor->commit(clinic_records("north", 1, 2));
  EXPECT_THROW(stale->commit(clinic_records("north", 1, 3)), FencedOut);
  EXPECT_THROW(
      sql("INSERT INTO audit (chain, seq, shard, commit_seq, at, actor, entity, action, \"before\", "
          "\"after\", cause, prev_hash, hash) SELECT chain, seq, shard, commit_seq, at, actor, entity, action, "
          "\"before\", \"after\", cause, prev_hash, hash FROM audit WHERE chain = 'clinic:north' AND seq = 2"),
      std::exception);
  const auto v = successor->verify_audit();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records, 2);
}

// What the anchors add: a clinic chain rewritten consistently after it was anchored (every link and
// hash recomputed, its head too), or cut short with its head moved back, no longer holds what the
// fleet chain states of it.
TEST_F(PostgresStore, Audit_AClinicChainRewrittenOrCutAfterItsAnchorIsFound) {
  auto store = leased_writer(0);
  store->commit(clinic_records("north", 3, 1));
  ASSERT_EQ(store->anchor_audit_chains(at(2)), 1u);
  ASSERT_TRUE(store->verify_audit().intact);

  const auto last = *store->audit_record("clinic:north", 3);
  engine::AuditRecord forged{at(1),
                             last.at("actor").get<std::string>(),
                             last.at("entity").get<std::string>(),
                             last.at("action").get<std::string>(),
                             last.at("before"),
                             json{{"n", 99}},
                             last.at("cause").get<std::string>(),
                             "north"};
  const auto prev = last.at("prev_hash").get<std::string>();
  const auto hash = audit_hash(prev, audit_canonical(3, forged, prev));
  sql("UPDATE audit SET \"after\" = '{\"n\":99}', hash = '" + hash + "' WHERE chain = 'clinic:north' AND seq = 3");
  sql("UPDATE audit_heads SET hash = '" + hash + "' WHERE chain = 'clinic:north'");
  auto v = store->verify_audit();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad, 3);
  EXPECT_EQ(v.first_bad_chain, "clinic:north");
  EXPECT_EQ(v.problem,
            "record 3 of chain clinic:north is not the one the fleet chain's record 1 anchored: its hash is " + hash +
                " but the anchor states " + last.at("hash").get<std::string>());

  sql("DELETE FROM audit WHERE chain = 'clinic:north' AND seq = 3");
  sql("UPDATE audit_heads SET seq = 2, hash = '" + last.at("prev_hash").get<std::string>() +
      "' WHERE chain = 'clinic:north'");
  v = store->verify_audit();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.problem, "record 3 of chain clinic:north, which the fleet chain's record 1 anchored, is missing");

  sql("DELETE FROM audit WHERE chain = 'clinic:north'");
  sql("DELETE FROM audit_heads WHERE chain = 'clinic:north'");
  v = store->verify_audit();
  EXPECT_FALSE(v.intact) << "a whole chain gone, head and all, is still named by its anchor";
  EXPECT_EQ(v.fleet_records, 1);
  EXPECT_TRUE(v.walked_to_end) << "the fleet chain itself is whole: checkpoints are compared with all of it";
}

// An anchor that names nothing is altered; the fleet chain's walk still goes to its end, so a checkpoint
// of a later record is still judged (not taken for a truncation).
TEST_F(PostgresStore, Audit_AnAnchorNamingNothingIsFound_AndTheFleetChainIsStillWalkedWhole) {
  auto store = leased_writer(0);
  store->commit(clinic_records("north", 1, 1));
  ASSERT_EQ(store->anchor_audit_chains(at(2)), 1u);
  Commit fleet;
  for (int i = 0; i < 3; ++i) fleet.audit.push_back(audit("policy", "reload", at(3)));
  store->commit(fleet);
  // The anchor (fleet record 1) emptied, and every hash after it recomputed, the head's too.
  std::string prev(64, '0');
  for (std::int64_t seq = 1; seq <= 4; ++seq) {
    auto record = record_of(*store->audit_record(fleet_chain, seq));
    if (seq == 1) record.after = json{{"chains", json::object()}};
    const auto hash = audit_hash(prev, audit_canonical(seq, record, prev));
    sql("UPDATE audit SET \"after\" = '" + record.after.dump() + "', prev_hash = '" + prev + "', hash = '" + hash +
        "' WHERE chain = 'fleet' AND seq = " + std::to_string(seq));
    prev = hash;
  }
  sql("UPDATE audit_heads SET hash = '" + prev + "' WHERE chain = 'fleet'");
  const auto v = store->verify_audit();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad, 1);
  EXPECT_EQ(v.first_bad_chain, "fleet");
  EXPECT_EQ(v.problem, "record 1 is an anchor that names no clinic chain's head");
  EXPECT_EQ(v.fleet_records, 4);
  EXPECT_TRUE(v.walked_to_end);
}

// --- each shard's outbox ---

OutboxRow notification(const std::string& id, const std::string& clinic, Timestamp due) {
  OutboxRow r;
  r.id = id;
  r.alert_id = "alert-" + id;
  r.clinic = clinic;
  r.receiver = "hook";
  r.kind = "firing";
  r.created_at = at(0);
  r.due_at = due;
  r.notice = R"({"id":"x"})";
  return r;
}

DeliveryAttempt delivered(const std::string& id) {
  DeliveryAttempt a;
  a.id = id;
  a.at = at(2);
  a.result = DeliveryAttempt::Result::delivered;
  a.status = 200;
  a.answer = "HTTP 200";
  return a;
}

TEST_F(PostgresStore, Outbox_EachShardsOwnerSeesAndRecordsOnlyItsOwnRows_AndAFencedOutOneNone) {
  auto north = leased_writer(1);
  auto south = leased_writer(2);
  Commit n;
  n.notifications = {notification("n1", "north", at(0)), notification("n2", "north", at(5))};
  north->commit(n);
  Commit s;
  s.notifications = {notification("s1", "south", at(1))};
  south->commit(s);

  const auto ids = [](const std::vector<PendingNotification>& rows) {
    std::vector<std::string> out;
    for (const auto& p : rows) out.push_back(p.row.id);
    return out;
  };
  EXPECT_EQ(ids(north->due_notifications(at(10), 10)), (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(ids(south->due_notifications(at(10), 10)), (std::vector<std::string>{"s1"}));
  EXPECT_EQ(north->next_notification_due(), at(0));
  EXPECT_EQ(south->next_notification_due(), at(1));

  // Another shard's row is not its to record, cancel or bury: it stays pending, with no history.
  const std::vector<DeliveryAttempt> foreign{delivered("s1")};
  north->record_attempts(foreign);
  Commit cancel;
  cancel.cancellations.push_back({"alert-s1", {"firing"}, {}});
  north->commit(cancel);
  EXPECT_TRUE(north->disable_receiver("hook", at(2), "HTTP 410").size() == 2);
  EXPECT_EQ(sql("SELECT state FROM notifications WHERE id = 's1'"), "pending");
  EXPECT_EQ(sql("SELECT count(*) FROM notification_attempts WHERE notification = 's1'"), "0");

  // After a takeover of shard 2, its old owner records nothing; the new owner does.
  lease(2, "other", 2);
  EXPECT_THROW(south->record_attempts(foreign), FencedOut);
  EXPECT_THROW(south->disable_receiver("hook", at(2), "HTTP 410"), FencedOut);
  EXPECT_EQ(sql("SELECT count(*) FROM notification_attempts"), "0");
  auto successor = writer(2, "other", 2);
  EXPECT_EQ(ids(successor->due_notifications(at(10), 10)), (std::vector<std::string>{"s1"}));
  successor->record_attempts(foreign);
  EXPECT_EQ(sql("SELECT state FROM notifications WHERE id = 's1'"), "delivered");
  EXPECT_EQ(sql("SELECT count(*) FROM notification_attempts WHERE notification = 's1'"), "1");
}

TEST_F(PostgresStore, Outbox_AReadOnlyStoreWorksOffNoOutbox_ButEnablesAReceiverWithoutALease) {
  leased_writer(1)->disable_receiver("hook", at(0), "HTTP 410");
  auto front = open_postgresql(url_);
  EXPECT_THAT([&] { front->due_notifications(at(10), 10); },
              ::testing::ThrowsMessage<StoreError>(HasSubstr("read-only")));
  EXPECT_THROW(front->record_attempts(std::vector<DeliveryAttempt>{delivered("n1")}), StoreError);
  EXPECT_TRUE(front->enable_receiver("hook"));
  EXPECT_FALSE(front->enable_receiver("hook"));
  EXPECT_TRUE(front->disabled_receivers().empty());
}

// --- read-only stores and choosing the back-end ---

TEST_F(PostgresStore, ReadOnly_ReadsAndVerifiesButRefusesToWrite) {
  leased_writer()->commit(message_commit(1));
  auto reader = open_postgresql(url_);
  EXPECT_EQ(reader->audit_head().seq, 1);
  EXPECT_TRUE(reader->verify_audit().intact);
  EXPECT_EQ(reader->stats().messages, 1);
  try {
    reader->commit(message_commit(2));
    FAIL() << "a store without a writer must not commit";
  } catch (const FencedOut&) {
    FAIL() << "read-only is not a lost lease";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("read-only"));
  }
  EXPECT_THROW(reader->save_snapshot({1, at(0), "state"}), StoreError);
  EXPECT_EQ(sql("SELECT count(*) FROM messages"), "1");
}

// What a daemon's replicas of every shard read through: one shard's journal and snapshots each, on
// connections they share, writing nothing.
TEST_F(PostgresStore, ReadOnlyShard_ReadsItsShardOnSharedConnectionsAndRefusesToWrite) {
  {
    auto zero = leased_writer(0);
    auto one = leased_writer(1);
    for (std::uint64_t i = 1; i <= 3; ++i) {
      zero->commit(message_commit(i));
      Commit c;
      c.messages.push_back(telemetry("PEN-0100", i, at(0), "south"));
      one->commit(c);
    }
    zero->save_snapshot({2, at(1), "state of shard 0"});
  }
  // Named, so that their sessions can be counted.
  const auto url = url_ + "?application_name=shard_readers";
  const auto readers = open_postgresql_readers(url, 1);
  std::vector<std::unique_ptr<Store>> shards;
  for (int shard = 0; shard < 3; ++shard) {
    shards.push_back(open_postgresql(url, {.shard = shard, .shared_readers = readers}));
  }
  EXPECT_EQ(postgresql_last_commits(*readers, 3), (std::vector<std::int64_t>{3, 3, 0}));
  std::vector<std::pair<std::int64_t, std::string>> journal;
  shards[1]->read_journal(
      1, [&](const JournalEntry& e) { journal.emplace_back(e.commit, std::get<StoredMessage>(e.input).device); });
  EXPECT_EQ(journal, (std::vector<std::pair<std::int64_t, std::string>>{{2, "PEN-0100"}, {3, "PEN-0100"}}));
  ASSERT_TRUE(shards[0]->latest_snapshot());
  EXPECT_EQ(shards[0]->latest_snapshot()->state, "state of shard 0");
  EXPECT_FALSE(shards[1]->latest_snapshot());
  shards[2]->read_journal(0, [](const JournalEntry&) { FAIL() << "shard 2 has no journal"; });
  EXPECT_EQ(sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'shard_readers'"), "1")
      << "three stores, one shared connection";

  EXPECT_THAT([&] { shards[0]->commit(message_commit(4)); },
              ::testing::ThrowsMessage<StoreError>(HasSubstr("read-only")));
  EXPECT_THROW(shards[0]->save_snapshot({3, at(2), "state"}), StoreError);
  EXPECT_EQ(sql("SELECT count(*) FROM commits"), "6");
  EXPECT_EQ(sql("SELECT count(*) FROM snapshots"), "1");

  EXPECT_THAT([&] { open_postgresql(url_)->read_journal(0, [](const JournalEntry&) {}); },
              ::testing::ThrowsMessage<StoreError>(HasSubstr("without a shard")));
  EXPECT_THAT([&] { open_postgresql(url, {.shard = 1024, .shared_readers = readers}); },
              ::testing::ThrowsMessage<StoreError>(HasSubstr("shards are 0 to 1023")));
  const auto elsewhere = open_postgresql_readers(server().fresh_database("elsewhere"), 1);
  EXPECT_THAT([&] { open_postgresql(url, {.shard = 0, .shared_readers = elsewhere}); },
              ::testing::ThrowsMessage<StoreError>(HasSubstr("another PostgreSQL URL")));
  EXPECT_THAT([&] { open_postgresql_readers(url_, 0); }, ::testing::ThrowsMessage<StoreError>(HasSubstr("at least 1")));
}

// A replay asks the store whether a message is the one stored under its key (a conflicting reuse)
// while the journal is being read: with one reading connection, the thread must not wait for itself.
TEST_F(PostgresStore, Readers_AReadInsideAReadDoesNotWaitForTheConnectionItsThreadHolds) {
  leased_writer()->commit(message_commit(1));
  auto store = open_postgresql(url_, {.shard = 0, .readers = 1});
  auto nested = std::async(std::launch::async, [&] {
    std::optional<std::string> payload;
    store->read_journal(0, [&](const JournalEntry&) { payload = store->stored_payload("PEN-0001", 1, 1); });
    return payload;
  });
  if (nested.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    std::fprintf(stderr, "a read inside a read waits for its own connection\n");
    std::abort();  // the waiting thread can be neither joined nor left behind
  }
  EXPECT_TRUE(nested.get());
}

TEST_F(PostgresStore, OpenStore_ChoosesTheBackEndByThePlace) {
  leased_writer()->commit(message_commit(1));
  for (const auto& url : {url_, "postgres://" + url_.substr(std::string("postgresql://").size())}) {
    auto store = open_store(url, {}, {});
    EXPECT_EQ(store->audit_head().seq, 1) << url;
  }
  TempDir dir;
  auto sqlite = open_store(dir.file("store.db"));
  EXPECT_EQ(sqlite->audit_head().seq, 0);
  EXPECT_TRUE(std::filesystem::exists(dir.file("store.db")));
}

}  // namespace
}  // namespace sterifleet::store::testing
