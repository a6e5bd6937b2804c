// Restarts of the fleet on a real SQLite file: a Fleet fed a clinic's traffic (MQTT payloads,
// people's actions, a policy reload, the clock) with periodic snapshots, stopped without a final one,
// then restarted from copies of its file: from the newest snapshot plus the journal after it, and
// from the whole journal (its snapshots deleted). The two must be in the same state and go on alike;
// a snapshot that cannot be used must make it replay more, with a warning, never load a wrong state.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "clinic_traffic.hpp"
#include "daemon_run.hpp"
#include "sterifleet/engine/snapshot.hpp"
#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::fleet::testing {
namespace {

namespace fs = std::filesystem;
using engine::testing::at_minute;
using engine::testing::kStart;
using nlohmann::json;

void run_sql(const fs::path& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(handle);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

const Timestamp kRestart = at_minute(4 * 24 * 60);

FleetOptions options() {
  FleetOptions o;
  o.retention = std::chrono::hours(24);  // the three days of traffic compact
  o.snapshot_every = 150;
  o.snapshot_interval = std::chrono::minutes(0);
  return o;
}

class FleetRestore : public ::testing::Test {
 protected:
  // Three days of a clinic, with everything that ends up in the journal.
  static void SetUpTestSuite() {
    dir_ = std::make_unique<sterifleet::testing::TempDir>("sterifleet-fleet");
    DaemonRun run(db(), options());
    run.restore(kStart - std::chrono::hours(1));
    std::vector<protocol::DeviceMessage> all;
    for (const auto& [id, stream] : engine::testing::ClinicTraffic{}.build())
      all.insert(all.end(), stream.begin(), stream.end());
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return a.envelope.ts < b.envelope.ts; });
    Timestamp next_tick = kStart;
    bool reloaded = false;
    for (std::size_t i = 0; i < all.size(); ++i) {
      const auto& message = all[i];
      // Snapshots are taken on ticks: none in the last 60 messages, which make the tail.
      while (next_tick <= message.envelope.ts && i + 60 < all.size()) {
        run.tick(next_tick);
        next_tick += std::chrono::minutes(10);
      }
      const auto now = message.envelope.ts + std::chrono::seconds(2);
      run.send(message, now);
      if (i % 97 == 13) run.fleet().acknowledge(run.first_active_alert(), "token:mia", "seen");
      if (i % 131 == 50) run.fleet().resolve(run.first_active_alert(), "token:mia", "checked by hand");
      if (i == 40) run.raw("sterifleet/v1/north/PEN-1/event", "{not json", now);
      if (i == 60) {  // a payload naming another device on PEN-1's topic
        auto stranger = message;
        stranger.envelope.device = protocol::DeviceId{"PEN-9"};
        run.raw("sterifleet/v1/north/PEN-1/event", protocol::encode(stranger), now);
      }
      if (i == 70) run.raw("sterifleet/v1/south/PEN-1/event", foreign_payload(message), now);
      if (i == 80) run.fleet().maintenance("PEN-3", now, now + std::chrono::hours(2), "motor service", "token:mia");
      // The dispatcher's reports: notifications nobody got, a receiver delivering again.
      if (i % 89 == 30) {
        run.fleet().delivery_failed({i % 2 ? "hook" : "mail", protocol::ClinicId{"north"}, "a" + std::to_string(i),
                                     "cartridge.reused", "HTTP 410", now});
      }
      if (i % 173 == 100) run.fleet().delivery_recovered("mail", "north");
      if (!reloaded && message.envelope.ts > at_minute(30 * 60)) {
        reloaded = true;
        ASSERT_TRUE(
            run.fleet()
                .reload_policy("[battery]\nthreshold_pct = 60\nclear_pct = 70\n", "policy.toml", "operator:SIGHUP")
                .empty());
      }
    }
    sessions_live_ = sessions(run);
    sent_ = all.size();
    // Stopped without a final snapshot, as a crash would: the newest snapshot leaves a tail.
  }
  static void TearDownTestSuite() { dir_.reset(); }

  static fs::path db() { return dir_->path() / "run.db"; }

  /// `message` as PEN-1 (bound to north) would send it, to go under another clinic's topic.
  static std::string foreign_payload(protocol::DeviceMessage message) {
    message.envelope.device = protocol::DeviceId{"PEN-1"};
    return protocol::encode(message);
  }

  static std::vector<engine::Alert> clinic_mismatches(DaemonRun& run) {
    return run.fleet().read([](const engine::Engine& engine) {
      std::vector<engine::Alert> out;
      engine.for_each_alert([&](const engine::Alert& a) {
        if (a.rule == engine::RuleId::clinic_mismatch) out.push_back(a);
      });
      return out;
    });
  }

  /// A copy of the run's file, changed by `sql`, restarted.
  static std::unique_ptr<DaemonRun> restart(const std::string& name, const std::string& sql = {},
                                            engine::Policy policy = engine::default_policy()) {
    const fs::path copy = dir_->path() / (name + ".db");
    fs::copy_file(db(), copy, fs::copy_options::overwrite_existing);
    if (!sql.empty()) run_sql(copy, sql);
    auto run = std::make_unique<DaemonRun>(copy, options(), std::move(policy));
    restored_ = run->restore(kRestart);
    return run;
  }

  static std::size_t sessions(DaemonRun& run) {
    return run.fleet().read([](const engine::Engine& engine) {
      std::size_t n = 0;
      engine.for_each_device([&](const engine::DeviceRecord& d) { n += d.sessions.size(); });
      return n;
    });
  }

  static void expect_same_state(DaemonRun& restored, DaemonRun& full) {
    const auto a = restored.state_json();
    const auto b = full.state_json();
    EXPECT_TRUE(restored.state() == full.state())
        << "restored from a snapshot, the state differs from the full replay (JSON patch):\n"
        << json::diff(b, a).dump(1).substr(0, 3000);
  }

  static inline std::unique_ptr<sterifleet::testing::TempDir> dir_;
  static inline std::size_t sessions_live_ = 0;
  static inline std::size_t sent_ = 0;
  static inline Fleet::RestoreStats restored_;
};

TEST_F(FleetRestore, SnapshotsWereWrittenAsTheJournalGrew) {
  DaemonRun run(db(), options());
  const auto latest = run.store().latest_snapshot();
  ASSERT_TRUE(latest);
  const auto older = run.store().latest_snapshot_before(latest->commit);
  ASSERT_TRUE(older);
  EXPECT_GT(latest->commit, older->commit);
}

TEST_F(FleetRestore, SnapshotPlusTailEqualsTheFullReplay) {
  auto full = restart("full", "DELETE FROM snapshots");
  const auto from_journal = restored_;
  auto restored = restart("restored");
  EXPECT_FALSE(from_journal.snapshot);
  ASSERT_TRUE(restored_.snapshot);
  EXPECT_TRUE(restored_.warnings.empty()) << restored_.warnings.front();
  EXPECT_GE(restored_.entries, 60) << "the run stopped without a final snapshot: there is a tail";
  EXPECT_LT(restored_.entries, from_journal.entries);
  EXPECT_GT(from_journal.entries, static_cast<std::int64_t>(sent_));
  expect_same_state(*restored, *full);

  // And they go on alike: the same inputs give the same audit records, hashes included.
  const auto head = full->store().audit_head().seq;
  EXPECT_EQ(restored->store().audit_head().seq, head);
  for (auto* run : {restored.get(), full.get()}) {
    run->send({protocol::ClinicId{"north"}, {protocol::DeviceId{"PEN-1"}, 1, 1000, kRestart}, protocol::Telemetry{}},
              kRestart);
    run->fleet().acknowledge(run->first_active_alert(), "token:mia", "after the restart");
    run->tick(kRestart + std::chrono::hours(3));
  }
  expect_same_state(*restored, *full);
  EXPECT_EQ(restored->store().audit_records(head, 1000).rows, full->store().audit_records(head, 1000).rows);
  EXPECT_GT(restored->store().audit_head().seq, head);
}

// A function of its own: braced in place, GCC 12 at -O3 warns that the message's strings may be
// destroyed uninitialised (-Wmaybe-uninitialized, a false positive).
protocol::DeviceMessage stray_fault_of_pen_1() {
  return {protocol::ClinicId{"south"},
          {protocol::DeviceId{"PEN-1"}, 1, 2000, kRestart},
          protocol::Fault{protocol::FaultCode{"E1"}, "stray"}};
}

// PEN-1 stays north's after a restart from the journal or from a snapshot: its alert is there (the
// traffic's people may have resolved it), and a message under south's topics is still refused.
TEST_F(FleetRestore, ADeviceStaysBoundToItsClinicAcrossARestart) {
  for (const auto* sql : {"DELETE FROM snapshots", ""}) {
    auto run = restart(*sql ? "bound-journal" : "bound-snapshot", sql);
    auto fired = clinic_mismatches(*run);
    ASSERT_EQ(fired.size(), 1u) << sql;
    EXPECT_EQ(fired[0].clinic.str(), "north");
    EXPECT_EQ(fired[0].subject, "PEN-1");
    const auto again = run->raw("sterifleet/v1/south/PEN-1/event", foreign_payload(stray_fault_of_pen_1()), kRestart);
    EXPECT_EQ(again.disposition, Fleet::Disposition::quarantined) << sql;
    EXPECT_EQ(again.reason, "clinic_mismatch");
    fired = clinic_mismatches(*run);
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_EQ(fired[0].episode.occurrences, 2);
    EXPECT_TRUE(fired[0].active()) << "a person may have resolved it: a new occurrence reopens it";
  }
}

TEST_F(FleetRestore, TheReplayCompactsWhereTheDaemonDid) {
  auto full = restart("compacted", "DELETE FROM snapshots");
  EXPECT_EQ(sessions(*full), sessions_live_);
  EXPECT_LT(sessions_live_, std::size_t{3 * 6 * 4}) << "three days of sessions, one day kept";
}

TEST_F(FleetRestore, ADamagedNewestSnapshotFallsBackToTheOlderOne) {
  auto full = restart("full", "DELETE FROM snapshots");
  auto restored = restart("damaged-newest",
                          "UPDATE snapshots SET state = CAST('x' AS BLOB) "
                          "WHERE commit_seq = (SELECT max(commit_seq) FROM snapshots)");
  ASSERT_EQ(restored_.warnings.size(), 1u);
  EXPECT_NE(restored_.warnings[0].find("damaged"), std::string::npos) << restored_.warnings[0];
  EXPECT_TRUE(restored_.snapshot);
  expect_same_state(*restored, *full);
}

TEST_F(FleetRestore, DamagedSnapshotsMeanAFullReplayWithWarnings) {
  auto full = restart("full", "DELETE FROM snapshots");
  const auto from_journal = restored_;
  auto restored = restart("damaged-all", "UPDATE snapshots SET state = CAST('x' AS BLOB)");
  EXPECT_EQ(restored_.warnings.size(), 2u);
  EXPECT_FALSE(restored_.snapshot);
  EXPECT_EQ(restored_.entries, from_journal.entries);
  expect_same_state(*restored, *full);
}

TEST_F(FleetRestore, SnapshotsOfAnotherFormatMeanAFullReplayWithWarnings) {
  auto full = restart("full", "DELETE FROM snapshots");
  const fs::path copy = dir_->path() / "other-format.db";
  fs::copy_file(db(), copy, fs::copy_options::overwrite_existing);
  {
    auto store = store::open_sqlite(copy.string());
    for (auto snapshot = store->latest_snapshot(); snapshot;
         snapshot = store->latest_snapshot_before(snapshot->commit)) {
      snapshot->state[8] = static_cast<char>(engine::snapshot_format + 1);  // the version after the magic
      store->save_snapshot(*snapshot);
    }
  }
  DaemonRun restored(copy, options());
  const auto stats = restored.restore(kRestart);
  ASSERT_EQ(stats.warnings.size(), 2u);
  EXPECT_NE(stats.warnings[0].find("format"), std::string::npos) << stats.warnings[0];
  EXPECT_FALSE(stats.snapshot);
  expect_same_state(restored, *full);
}

TEST_F(FleetRestore, AnotherConfiguredPolicyMeansAFullReplayUnderIt) {
  engine::Policy strict = engine::default_policy();
  strict.rule(engine::RuleId::cartridge_overused).severity = engine::Severity::critical;
  auto full = restart("full-strict", "DELETE FROM snapshots", strict);
  auto restored = restart("strict", "", strict);
  ASSERT_FALSE(restored_.warnings.empty());
  EXPECT_NE(restored_.warnings[0].find("policy"), std::string::npos) << restored_.warnings[0];
  EXPECT_FALSE(restored_.snapshot);
  expect_same_state(*restored, *full);
}

TEST_F(FleetRestore, ASnapshotAtACleanStopLeavesNothingToReplay) {
  const fs::path copy = dir_->path() / "clean-stop.db";
  fs::copy_file(db(), copy, fs::copy_options::overwrite_existing);
  {
    DaemonRun run(copy, options());
    run.restore(kRestart);
    const auto snapshot = run.fleet().snapshot();
    EXPECT_GT(snapshot.bytes, 0u);
    EXPECT_EQ(run.store().latest_snapshot()->commit, snapshot.commit);
  }
  DaemonRun again(copy, options());
  const auto stats = again.restore(kRestart + std::chrono::minutes(5));
  EXPECT_TRUE(stats.snapshot);
  EXPECT_EQ(stats.entries, 0);
}

std::string view_text(const FleetView& view) {
  std::string text;
  for (const auto& [key, device] : view.devices) text += device->json + "\n";
  for (const auto& [clinic, c] : view.clinics) {
    text += clinic + ": " + std::to_string(c.devices) + " " + std::to_string(c.pens) + " " +
            std::to_string(c.sterilizers) + " " + std::to_string(c.open_alerts) + " " +
            std::to_string(c.critical_alerts) + "\n";
  }
  return text;
}

// A replica (how a cluster's other daemons see a shard) rebuilds the fleet from the newest snapshot and
// the journal after it, as a restart does, then follows what the writer stores next: people's actions,
// the clock's alerts, a policy reload and a compaction. It has the writer's state and views all along,
// and stores nothing (its store is read-only; it records no start of its own).
TEST_F(FleetRestore, AReplicaFollowsItsWriter_SameStateAndViews) {
  auto writer = restart("followed");
  const auto read_only = store::open_sqlite((dir_->path() / "followed.db").string(), {.read_only = true});
  NullSink sink;
  EventBus events;
  Metrics metrics;
  Fleet replica(
      engine::default_policy(), *read_only, sink, events, metrics, [] { return kRestart; }, options());
  const auto loaded = replica.follow();
  EXPECT_TRUE(loaded.snapshot) << "from the newest snapshot";
  EXPECT_GE(loaded.entries, 60) << "and the journal after it";
  const auto expect_following = [&](const char* when) {
    EXPECT_TRUE(replica.read([](const engine::Engine& e) { return e.snapshot(); }) == writer->state())
        << when << ": the replica's state differs from its writer's (JSON patch):\n"
        << json::diff(writer->state_json(), replica.read([](const engine::Engine& e) { return e.snapshot_json(); }))
               .dump(1)
               .substr(0, 3000);
    EXPECT_EQ(view_text(*replica.view()), view_text(*writer->fleet().view())) << when;
  };
  expect_following("loaded");

  const auto later = kRestart + std::chrono::minutes(1);
  writer->send({protocol::ClinicId{"north"}, {protocol::DeviceId{"PEN-1"}, 1, 1000, later}, protocol::Telemetry{}},
               later);
  writer->set_clock(later);
  ASSERT_TRUE(writer->fleet().acknowledge(writer->first_active_alert(), "token:mia", "seen by the replica").ok());
  // Resolving a device's alert changes its count of open alerts, not the device.
  const auto device_alert = writer->fleet().read([](const engine::Engine& e) {
    std::string id;
    e.for_each_alert([&](const engine::Alert& a) {
      if (id.empty() && a.active() && e.device(a.episode.device)) id = a.id;
    });
    return id;
  });
  ASSERT_FALSE(device_alert.empty());
  ASSERT_TRUE(writer->fleet().resolve(device_alert, "token:mia", "checked by the replica's test").ok());
  writer->raw("sterifleet/v1/north/PEN-1/event", "{not json", later);  // an alert of a device it leaves alone
  EXPECT_EQ(replica.catch_up(), 4);
  expect_following("after a person's actions and a rejected event");
  ASSERT_TRUE(
      writer->fleet().reload_policy("[battery]\nthreshold_pct = 50\nclear_pct = 60\n", "policy.toml", "ops").empty());
  writer->tick(kRestart + std::chrono::hours(3));  // devices fall silent: offline alerts
  writer->set_clock(kRestart + std::chrono::hours(4));
  writer->fleet().snapshot();  // a journaled compaction first
  const auto head = read_only->audit_head();
  EXPECT_GE(replica.catch_up(), 3);
  expect_following("after the policy, the clock and a compaction");
  EXPECT_EQ(replica.catch_up(), 0) << "nothing new";
  EXPECT_EQ(read_only->audit_head().seq, head.seq);
}

engine::DeliveryFailure dead_letter(const std::string& receiver, const std::string& alert, Timestamp at) {
  return {receiver, protocol::ClinicId{"north"}, alert, "cartridge.reused", "HTTP 410", at};
}

std::vector<engine::Alert> delivery_alerts(DaemonRun& run) {
  return run.fleet().read([](const engine::Engine& engine) {
    std::vector<engine::Alert> out;
    engine.for_each_alert([&](const engine::Alert& a) {
      if (a.rule == engine::RuleId::delivery_failed) out.push_back(a);
    });
    return out;
  });
}

// A notification nobody got is an alert like any other: journaled, stored, and rebuilt on restart.
TEST(FleetDelivery, AFailedDeliveryIsJournaledAndSurvivesARestart) {
  sterifleet::testing::TempDir dir("sterifleet-delivery");
  const auto db = dir.path() / "run.db";
  std::string id;
  {
    DaemonRun run(db);
    run.restore(kStart);
    run.set_clock(kStart + std::chrono::minutes(5));
    ASSERT_TRUE(run.fleet().delivery_failed(dead_letter("hook", "a1", kStart + std::chrono::minutes(5))).ok());
    ASSERT_TRUE(run.fleet().delivery_failed(dead_letter("hook", "a2", kStart + std::chrono::minutes(6))).ok());
    // A delivery elsewhere clears nothing, and is not journaled.
    const auto head = run.store().audit_head().seq;
    ASSERT_TRUE(run.fleet().delivery_recovered("mail", "north").ok());
    EXPECT_EQ(run.store().audit_head().seq, head);
    const auto alerts = delivery_alerts(run);
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0].episode.occurrences, 2);
    id = alerts[0].id;
    const auto stored = run.store().alert(id);
    ASSERT_TRUE(stored);
    EXPECT_EQ((*stored)["rule"], "delivery.failed");
    EXPECT_EQ((*stored)["subject"], "hook");
    EXPECT_EQ((*stored)["state"], "open");
  }
  {
    DaemonRun again(db);
    again.restore(kStart + std::chrono::minutes(10));
    const auto alerts = delivery_alerts(again);
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0].id, id);
    EXPECT_EQ(alerts[0].episode.occurrences, 2);
    EXPECT_TRUE(alerts[0].active());
    again.set_clock(kStart + std::chrono::minutes(11));
    ASSERT_TRUE(again.fleet().delivery_recovered("hook", "north").ok());
    EXPECT_EQ(again.fleet().read([&](const engine::Engine& e) { return e.alert(id)->state(); }),
              engine::AlertState::resolved);
  }
  DaemonRun third(db);
  third.restore(kStart + std::chrono::minutes(20));
  const auto [state, clearance] = third.fleet().read([&](const engine::Engine& e) {
    const auto* alert = e.alert(id);
    return alert ? std::pair{alert->state(), alert->episode.clearance}
                 : std::pair{engine::AlertState::withdrawn, std::string("(gone)")};
  });
  EXPECT_EQ(state, engine::AlertState::resolved);
  EXPECT_EQ(clearance, "delivered again");
  EXPECT_EQ((*third.store().alert(id))["state"], "resolved");
}

}  // namespace
}  // namespace sterifleet::fleet::testing

namespace sterifleet::fleet::testing {
namespace {

// A function of its own: braced in place, GCC 12 at -O2 warns that the message's strings may be
// destroyed uninitialised (-Wmaybe-uninitialized, a false positive).
protocol::DeviceMessage from_pen_1(std::uint64_t seq, protocol::Body body) {
  return {protocol::ClinicId{"north"}, {protocol::DeviceId{"PEN-1"}, 1, seq, kStart}, std::move(body)};
}

// A store written before fail-safe judging holds messages quarantined without an alert, some of which
// the codec now accepts as drift. Replayed on restart, they are judged as they were then: the rebuilt
// engine is the one whose effects the store holds.
TEST(FleetUpgrade, MessagesQuarantinedBeforeFailSafeJudgingReplayAsTheyWereJudged) {
  sterifleet::testing::TempDir dir("sterifleet-upgrade");
  const fs::path db = dir.path() / "older.db";
  protocol::SessionStart start{protocol::SessionId{"S1"},
                               engine::testing::cartridge("CRT-1"),
                               protocol::Millimetres{0.4},
                               protocol::Hertz{100},
                               protocol::OperatorId{"op"},
                               protocol::PatientRef{"pt"},
                               protocol::Listed<protocol::TreatmentArea>::other("face")};
  const auto face = from_pen_1(2, start);
  {
    DaemonRun run(db);
    run.restore(kStart - std::chrono::minutes(1));
    run.send(from_pen_1(1, protocol::Birth{protocol::DeviceKind::pen, "Dermapen 4", "1", std::nullopt}), kStart);
    store::Commit older;  // what the daemon stored for it then: the payload and its reason, no alert
    older.quarantined.push_back({0, kStart, protocol::topic_of(face), protocol::encode(face), "bad_value",
                                 "/body/area: \"face\" is not one of: forehead, ..."});
    run.store().commit(older);
    // A message with a field the codec then ignored silently, and now reports as drift.
    const protocol::DeviceMessage reading{
        protocol::ClinicId{"north"},
        {protocol::DeviceId{"PEN-1"}, 1, 3, kStart},
        protocol::Telemetry{protocol::Percent{80}, std::chrono::seconds{60}, 1, protocol::Millimetres{1},
                            protocol::Hertz{100}, std::nullopt}};
    auto extra = json::parse(protocol::encode(reading));
    extra["x_gateway"] = "gw-7";
    store::Commit stored;
    stored.messages.push_back(
        {kStart, protocol::topic_of(reading), extra.dump(), "north", "PEN-1", 1, 3, kStart, "telemetry"});
    run.store().commit(stored);
  }
  run_sql(db, "UPDATE fail_safe_since SET commit_seq = (SELECT max(commit_seq) FROM messages)");
  DaemonRun upgraded(db);
  upgraded.restore(kStart + std::chrono::minutes(5));
  const auto state = upgraded.state_json();
  const auto& pen = state["devices"]["PEN-1"];
  EXPECT_TRUE(pen["sessions"].empty()) << pen.dump();
  EXPECT_TRUE(pen["drift"].empty());
  EXPECT_FALSE(pen["locked"].get<bool>());
  // Then, the quarantined message's seq was missing: a gap, as the daemon raised it at the time.
  upgraded.fleet().read([](const engine::Engine& engine) {
    engine.for_each_alert([](const engine::Alert& a) {
      EXPECT_EQ(a.rule, engine::RuleId::sequence_gap) << engine::to_string(a.rule) << " " << a.subject;
    });
    return 0;
  });

  // What comes after the upgrade is judged fail-safe.
  upgraded.raw("sterifleet/v1/north/PEN-1/event", "{not json", kStart + std::chrono::minutes(6));
  EXPECT_TRUE(upgraded.state_json()["devices"]["PEN-1"]["locked"].get<bool>());
}

// A store written before the patient reference pattern holds a session whose reference the pattern now
// refuses, and no alert for it. The restart judges the whole journal again (the older snapshots are
// refused) and raises the drift warning: it is stored then, once, so the store shows what the engine holds.
TEST(FleetUpgrade, AnAlertTheJournalRaisesUnderNewerRules_IsStoredAtTheStartOnce) {
  sterifleet::testing::TempDir dir("sterifleet-upgrade");
  const fs::path db = dir.path() / "older.db";
  const auto session =
      from_pen_1(2, protocol::SessionStart{protocol::SessionId{"S1"}, engine::testing::cartridge("CRT-1"),
                                           protocol::Millimetres{0.4}, protocol::Hertz{100}, protocol::OperatorId{"op"},
                                           protocol::PatientRef{"1985-03-02"},
                                           protocol::Listed<protocol::TreatmentArea>::other("face")});
  {
    DaemonRun run(db);
    run.restore(kStart - std::chrono::minutes(1));
    run.send(from_pen_1(1, protocol::Birth{protocol::DeviceKind::pen, "Dermapen 4", "1", std::nullopt}), kStart);
    store::Commit older;  // what an older daemon stored for it: the message, no alert
    older.messages.push_back({kStart, protocol::topic_of(session), protocol::encode(session), "north", "PEN-1", 1, 2,
                              kStart, "session.start"});
    run.store().commit(older);
  }
  store::AlertQuery drift;
  drift.rule = "device.protocol_drift";
  for (int start = 0; start < 2; ++start) {
    DaemonRun restarted(db);
    restarted.restore(kStart + std::chrono::minutes(5 + start));
    const auto stored = restarted.store().alerts(drift).rows;
    int patient = 0;
    for (const auto& row : stored) {
      if (row.at("subject") == "PEN-1/body/patient" && row.at("state") == "open") ++patient;
    }
    EXPECT_EQ(patient, 1) << "start " << start << ": " << json(stored).dump();
  }
}

}  // namespace
}  // namespace sterifleet::fleet::testing
