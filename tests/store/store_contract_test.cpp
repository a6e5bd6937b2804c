// The storage contract every back-end keeps: one suite, run once per back-end (see backends()).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "store_fixtures.hpp"

namespace sterifleet::store::testing {
namespace {

using engine::AlertState;
using engine::RuleId;
using nlohmann::json;
using ::testing::HasSubstr;

class StoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { store_ = open(); }

  std::unique_ptr<Store> open() { return GetParam().open(dir_.file("store")); }
  void reopen() {
    store_.reset();
    store_ = open();
  }
  Store& store() { return *store_; }

  std::vector<JournalEntry> journal(std::int64_t after = 0) {
    std::vector<JournalEntry> entries;
    store().read_journal(after, [&](const JournalEntry& e) { entries.push_back(e); });
    return entries;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

Commit with_message(StoredMessage m) {
  Commit c;
  c.messages.push_back(std::move(m));
  return c;
}

std::vector<std::string> field(const std::vector<json>& rows, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& row : rows)
    out.push_back(row.at(name).is_string() ? row.at(name).get<std::string>() : row.at(name).dump());
  return out;
}

// --- opening and reopening ---

TEST_P(StoreContract, EmptyStore_HasNothingAndAnIntactEmptyTrail) {
  EXPECT_TRUE(journal().empty());
  EXPECT_EQ(store().audit_head().seq, 0);
  EXPECT_EQ(store().audit_head().hash, std::string(64, '0'));
  const auto verification = store().verify_audit();
  EXPECT_TRUE(verification.intact) << verification.problem;
  EXPECT_EQ(verification.records, 0);
  const auto stats = store().stats();
  EXPECT_EQ(stats.messages, 0);
  EXPECT_EQ(stats.alerts, 0);
  EXPECT_EQ(stats.audit_records, 0);
  EXPECT_TRUE(store().alerts({}).rows.empty());
  EXPECT_TRUE(store().tokens().empty());
}

TEST_P(StoreContract, Reopen_KeepsEverythingAndContinuesNumbering) {
  Commit first = with_message(telemetry("PEN-0001", 1, at(0)));
  first.audit.push_back(audit("pen:PEN-0001", "registered", at(0)));
  first.alerts.push_back(alert({.opened = at(0)}));
  store().commit(first);
  const auto head = store().audit_head();
  reopen();
  EXPECT_EQ(store().audit_head().seq, head.seq);
  EXPECT_EQ(store().audit_head().hash, head.hash);
  EXPECT_EQ(store().alerts({}).rows.size(), 1u);
  EXPECT_EQ(store().stats().messages, 1);
  Commit second = with_message(telemetry("PEN-0001", 2, at(1)));
  second.audit.push_back(audit("pen:PEN-0001", "telemetry", at(1)));
  store().commit(second);
  const auto entries = journal();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].commit, 1);
  EXPECT_EQ(entries[1].commit, 2);
  EXPECT_EQ(store().audit_head().seq, 2);
  EXPECT_TRUE(store().verify_audit().intact);
}

// --- commits ---

TEST_P(StoreContract, Commit_NumbersIncreaseByOneAndEmptyCommitsAreNotStored) {
  store().commit(with_message(telemetry("PEN-0001", 1, at(0))));
  store().commit(Commit{});
  Commit c;
  c.actions.push_back(action("tick", at(1), "engine"));
  store().commit(c);
  store().commit(with_message(telemetry("PEN-0001", 2, at(2))));
  const auto entries = journal();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].commit, 1);
  EXPECT_EQ(entries[1].commit, 2);
  EXPECT_EQ(entries[2].commit, 3);
}

TEST_P(StoreContract, Commit_ReturnsItsNumberAndAnEmptyOneTheLast) {
  EXPECT_EQ(store().commit(Commit{}), 0);
  EXPECT_EQ(store().commit(with_message(telemetry("PEN-0001", 1, at(0)))), 1);
  EXPECT_EQ(store().commit(Commit{.alerts = {alert({.opened = at(1)})}}), 2);
  EXPECT_EQ(store().commit(Commit{}), 2);
  reopen();
  EXPECT_EQ(store().commit(with_message(telemetry("PEN-0001", 2, at(2)))), 3);
}

TEST_P(StoreContract, Commit_AFailedCommitKeepsNothingOfItsMessagesAndUsesNoNumber) {
  Commit first = with_message(telemetry("PEN-0001", 5, at(0)));
  first.commands.push_back(command("cmd-1", "PEN-0001", at(0)));
  store().commit(first);
  const auto head = store().audit_head();

  Commit bad;
  bad.messages.push_back(telemetry("PEN-0001", 6, at(1)));  // new, stored before the command fails
  bad.alerts.push_back(alert({.opened = at(1)}));
  bad.sessions.push_back(session("north", "PEN-0001", "S-1", at(1)));
  bad.audit.push_back(audit("pen:PEN-0001", "telemetry", at(1)));
  bad.commands.push_back(command("cmd-1", "PEN-0001", at(1)));  // already stored
  try {
    store().commit(bad);
    FAIL() << "a command id used before must throw";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cmd-1"));
  }

  EXPECT_EQ(journal().size(), 1u);
  EXPECT_FALSE(store().stored_payload("PEN-0001", 1, 6));
  EXPECT_TRUE(store().alerts({}).rows.empty());
  EXPECT_TRUE(store().sessions({}).rows.empty());
  EXPECT_EQ(store().audit_head().seq, head.seq);
  EXPECT_EQ(store().stats().messages, 1);

  store().commit(with_message(telemetry("PEN-0001", 6, at(2))));
  const auto entries = journal();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].commit, 2) << "a failed commit uses no number";
  EXPECT_EQ(store().stored_payload("PEN-0001", 1, 6), telemetry("PEN-0001", 6, at(2)).payload);
}

TEST_P(StoreContract, CommitGroup_NumbersAndJournalsEachCommitAsSingleCommitsWould) {
  store().commit(with_message(telemetry("PEN-0001", 1, at(0))));  // 1
  std::vector<Commit> group(4);
  group[0] = with_message(telemetry("PEN-0001", 2, at(1)));      // 2
  group[1].quarantined.push_back(quarantined("schema", at(1)));  // 3
  group[2] = Commit{};                                           // stores nothing, takes no number
  group[3] = with_message(telemetry("PEN-0001", 3, at(2)));      // 4
  group[3].audit.push_back(audit("pen:PEN-0001", "telemetry", at(2)));
  EXPECT_EQ(store().commit_group(group, 17), 4);
  EXPECT_EQ(store().last_receipt(), 17);

  const auto entries = journal();
  ASSERT_EQ(entries.size(), 4u);
  const std::vector<std::int64_t> commits{1, 2, 3, 4};
  const std::vector<std::size_t> kinds{0, 0, 1, 0};  // a quarantined message between two stored ones stays there
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].commit, commits[i]) << i;
    EXPECT_EQ(entries[i].input.index(), kinds[i]) << i;
  }
  EXPECT_EQ(store().audit_head().seq, 1);
  EXPECT_TRUE(store().verify_audit().intact);
  EXPECT_EQ(store().commit(with_message(telemetry("PEN-0001", 4, at(3)))), 5);
}

TEST_P(StoreContract, CommitGroup_AFailureKeepsNothingOfTheGroupNorItsReceipt) {
  Commit first = with_message(telemetry("PEN-0001", 1, at(0)));
  first.commands.push_back(command("cmd-1", "PEN-0001", at(0)));
  store().commit_group(std::vector{first}, 3);
  Commit again;
  again.commands.push_back(command("cmd-1", "PEN-0001", at(1)));  // already stored
  std::vector<Commit> group{with_message(telemetry("PEN-0001", 2, at(1))), again};
  EXPECT_THROW(store().commit_group(group, 5), StoreError);
  EXPECT_EQ(store().last_receipt(), 3);
  EXPECT_FALSE(store().stored_payload("PEN-0001", 1, 2));
  EXPECT_EQ(store().commit_group(std::vector<Commit>{}, 4), 1) << "a receipt alone is recorded, numbering nothing";
  EXPECT_EQ(store().last_receipt(), 4);
}

TEST_P(StoreContract, LastReceipt_IsZeroOnANewStoreAndSurvivesAReopen) {
  EXPECT_EQ(store().last_receipt(), 0);
  store().commit_group(std::vector{with_message(telemetry("PEN-0001", 1, at(0)))}, 42);
  store().commit(with_message(telemetry("PEN-0001", 2, at(1))));  // not from the receipt log: leaves it
  reopen();
  EXPECT_EQ(store().last_receipt(), 42);
}

TEST_P(StoreContract, Commit_FailingOnItsLastRowLeavesNoRowOfAnyKind) {
  Commit first;
  first.commands.push_back(command("cmd-1", "PEN-0001", at(0)));
  store().commit(first);

  Commit bad = with_message(telemetry("PEN-0001", 1, at(1)));
  bad.quarantined.push_back(quarantined("bad_json", at(1)));
  bad.actions.push_back(action("acknowledge", at(1)));
  bad.alerts.push_back(alert({.opened = at(1)}));
  bad.sessions.push_back(session("north", "PEN-0001", "S-1", at(1)));
  bad.cycles.push_back(cycle("north", "STER-01", "CYC-1", at(1)));
  bad.audit.push_back(audit("pen:PEN-0001", "session.start", at(1)));
  bad.commands.push_back(command("cmd-1", "PEN-0001", at(1)));  // the same id again: commands are written last
  EXPECT_THROW(store().commit(bad), StoreError);

  EXPECT_TRUE(journal().empty());
  EXPECT_TRUE(store().alerts({}).rows.empty());
  EXPECT_TRUE(store().sessions({}).rows.empty());
  EXPECT_TRUE(store().cycles({}).rows.empty());
  EXPECT_TRUE(store().quarantine({}).rows.empty());
  EXPECT_EQ(store().commands({}).rows.size(), 1u);
  EXPECT_EQ(store().audit_head().seq, 0);
  EXPECT_TRUE(store().verify_audit().intact);
}

TEST_P(StoreContract, Commit_StatusMessagesHaveNoKeyAndMayRepeat) {
  store().commit(with_message(status("PEN-0001", at(0))));
  store().commit(with_message(status("PEN-0001", at(1))));
  EXPECT_EQ(journal().size(), 2u);
}

TEST_P(StoreContract, StoredPayload_FindsTheMessageByItsKey) {
  const auto m = telemetry("PEN-0001", 7, at(0));
  store().commit(with_message(m));
  EXPECT_EQ(store().stored_payload("PEN-0001", 1, 7), m.payload);
  EXPECT_FALSE(store().stored_payload("PEN-0001", 2, 7));
  EXPECT_FALSE(store().stored_payload("PEN-0002", 1, 7));
}

// --- the journal ---

TEST_P(StoreContract, Journal_MergesMessagesQuarantineAndActionsInCommitOrder) {
  const std::string binary("\xff\x00\x01 not utf-8", 14);
  store().commit(with_message(telemetry("PEN-0001", 1, at(0))));  // 1
  Commit q;
  q.quarantined.push_back(quarantined("bad_json", at(1), binary));
  store().commit(q);  // 2
  Commit a;
  a.actions.push_back(action("acknowledge", at(2)));
  store().commit(a);                                        // 3
  store().commit(with_message(status("PEN-0002", at(3))));  // 4
  Commit mixed = with_message(telemetry("PEN-0001", 2, at(4)));
  mixed.actions.push_back(action("tick", at(4), "engine"));
  mixed.quarantined.push_back(quarantined("schema", at(4)));
  store().commit(mixed);  // 5

  const auto entries = journal();
  ASSERT_EQ(entries.size(), 7u);
  const std::vector<std::int64_t> commits{1, 2, 3, 4, 5, 5, 5};
  const std::vector<std::size_t> kinds{0, 1, 2, 0, 0, 1, 2};  // within a commit: message, quarantine, action
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].commit, commits[i]) << i;
    EXPECT_EQ(entries[i].input.index(), kinds[i]) << i;
  }
  const auto& m = std::get<StoredMessage>(entries[0].input);
  const auto expected = telemetry("PEN-0001", 1, at(0));
  EXPECT_EQ(m.payload, expected.payload);
  EXPECT_EQ(m.topic, expected.topic);
  EXPECT_EQ(m.received_at, expected.received_at);
  EXPECT_EQ(m.seq, expected.seq);
  EXPECT_EQ(m.ts, expected.ts);
  EXPECT_EQ(m.type, "telemetry");
  EXPECT_EQ(std::get<QuarantinedMessage>(entries[1].input).payload, binary);
  EXPECT_EQ(std::get<QuarantinedMessage>(entries[1].input).reason, "bad_json");
  const auto& act = std::get<Action>(entries[2].input);
  EXPECT_EQ(act.kind, "acknowledge");
  EXPECT_EQ(act.actor, "token:anna");
  EXPECT_EQ(act.body, action("acknowledge", at(2)).body);
  const auto& st = std::get<StoredMessage>(entries[3].input);
  EXPECT_FALSE(st.seq);
  EXPECT_FALSE(st.ts);
  EXPECT_EQ(st.type, "status");

  const auto later = journal(3);
  ASSERT_EQ(later.size(), 4u);
  EXPECT_EQ(later.front().commit, 4);
}

TEST_P(StoreContract, Journal_FromAnyCommitIsTheTailOfTheWholeJournal) {
  // Commits of every shape, some with several inputs, some with none that the journal keeps.
  std::uint64_t seq = 0;
  for (int n = 1; n <= 60; ++n) {
    Commit c;
    if (n % 2 == 0) c.messages.push_back(telemetry("PEN-0001", ++seq, at(n)));
    if (n % 5 == 0) c.messages.push_back(telemetry("PEN-0002", ++seq, at(n)));
    if (n % 3 == 0) c.quarantined.push_back(quarantined("schema", at(n)));
    if (n % 7 == 0) c.actions.push_back(action("tick", at(n), "engine"));
    if (c.empty()) c.alerts.push_back(alert({.opened = at(n), .trigger = std::to_string(n)}));
    store().commit(c);
  }
  const auto whole = journal();
  for (std::int64_t after = 0; after <= 61; ++after) {
    const auto tail = journal(after);
    const auto first = std::find_if(whole.begin(), whole.end(), [&](const auto& e) { return e.commit > after; });
    ASSERT_EQ(tail.size(), static_cast<std::size_t>(whole.end() - first)) << "after commit " << after;
    for (std::size_t i = 0; i < tail.size(); ++i) {
      EXPECT_EQ(tail[i].commit, first[static_cast<std::ptrdiff_t>(i)].commit);
      EXPECT_EQ(tail[i].input.index(), first[static_cast<std::ptrdiff_t>(i)].input.index());
    }
  }
  EXPECT_TRUE(
      std::is_sorted(whole.begin(), whole.end(), [](const auto& a, const auto& b) { return a.commit < b.commit; }));
  EXPECT_EQ(whole.back().commit, 60);
}

// --- upserts ---

TEST_P(StoreContract, Alert_UpsertKeepsItsLatestState) {
  const AlertSpec spec{.opened = at(0)};
  Commit opened;
  opened.alerts.push_back(alert(spec));
  store().commit(opened);
  auto acked_spec = spec;
  acked_spec.state = AlertState::acknowledged;
  Commit acked;
  acked.alerts.push_back(alert(acked_spec));
  store().commit(acked);

  const auto id = alert(spec).alert.id;
  const auto row = store().alert(id);
  ASSERT_TRUE(row);
  EXPECT_EQ(*row, engine::to_json(alert(acked_spec).alert));
  EXPECT_EQ(row->at("state"), "acknowledged");
  EXPECT_EQ(store().alerts({}).rows.size(), 1u);
  EXPECT_TRUE(store().alerts({.state = "open"}).rows.empty());
  EXPECT_EQ(store().alerts({.state = "acknowledged"}).rows.size(), 1u);
  EXPECT_FALSE(store().alert("no-such-alert"));
}

TEST_P(StoreContract, Session_UpsertByPenAndSession) {
  Commit started;
  started.sessions.push_back(session("north", "PEN-0001", "S-1", at(0)));
  started.sessions.push_back(session("north", "PEN-0002", "S-1", at(0)));
  store().commit(started);
  Commit ended;
  ended.sessions.push_back(session("north", "PEN-0001", "S-1", at(0), true));
  store().commit(ended);
  const auto rows = store().sessions({}).rows;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], engine::to_json(session("north", "PEN-0001", "S-1", at(0), true)));
  EXPECT_EQ(rows[1].at("ended"), nullptr);
}

TEST_P(StoreContract, Cycle_UpsertByKey) {
  Commit completed;
  completed.cycles.push_back(cycle("north", "STER-01", "CYC-1", at(0)));
  store().commit(completed);
  auto recalled = cycle("north", "STER-01", "CYC-1", at(0));
  recalled.cycle.recalled_at = at(60);
  recalled.cycle.recalled_by = "STER-01/CYC-2";
  Commit update;
  update.cycles.push_back(recalled);
  store().commit(update);
  const auto row = store().cycle("STER-01/CYC-1");
  ASSERT_TRUE(row);
  EXPECT_EQ(*row, engine::to_json(recalled.cycle));
  EXPECT_EQ(row->at("state"), "recalled");
  EXPECT_EQ(store().cycles({}).rows.size(), 1u);
  EXPECT_FALSE(store().cycle("STER-01/CYC-9"));
}

// --- queries: every filter, paged ---

TEST_P(StoreContract, Alerts_FilterAndPageNewestFirst) {
  std::vector<engine::AlertChange> all;
  const std::vector<std::string> clinics{"north", "south"};
  const std::vector<RuleId> rules{RuleId::battery_low, RuleId::device_offline, RuleId::cartridge_reused};
  const std::vector<AlertState> states{AlertState::open, AlertState::acknowledged, AlertState::resolved,
                                       AlertState::withdrawn};
  for (int i = 0; i < 40; ++i) {
    AlertSpec spec;
    spec.clinic = clinics[static_cast<std::size_t>(i) % 2];
    spec.rule = rules[static_cast<std::size_t>(i) % 3];
    spec.state = states[static_cast<std::size_t>(i) % 4];
    spec.device = "PEN-000" + std::to_string(i % 5);
    spec.opened = at(i / 3);  // three alerts share each time: the id breaks the tie
    spec.trigger = "trigger-" + std::to_string(i);
    all.push_back(alert(spec));
  }
  for (std::size_t i = 0; i < all.size(); i += 7) {
    Commit c;
    for (std::size_t k = i; k < std::min(all.size(), i + 7); ++k) c.alerts.push_back(all[k]);
    store().commit(c);
  }

  struct Case {
    const char* name;
    AlertQuery query;
    std::function<bool(const engine::Alert&)> keep;
  };
  const std::vector<Case> cases{
      {"all", {}, [](const engine::Alert&) { return true; }},
      {"state", {.state = "acknowledged"}, [](const auto& a) { return a.state() == AlertState::acknowledged; }},
      {"rule", {.rule = "device.offline"}, [](const auto& a) { return a.rule == RuleId::device_offline; }},
      {"clinic", {.clinic = "south"}, [](const auto& a) { return a.clinic.str() == "south"; }},
      {"device", {.device = "PEN-0003"}, [](const auto& a) { return a.episode.device.str() == "PEN-0003"; }},
      {"from-to",
       {.from = at(3), .to = at(9)},
       [](const auto& a) { return a.episode.opened_at >= at(3) && a.episode.opened_at < at(9); }},
      {"combined",
       {.state = "open", .clinic = "north", .from = at(2)},
       [](const auto& a) {
         return a.state() == AlertState::open && a.clinic.str() == "north" && a.episode.opened_at >= at(2);
       }},
      {"none", {.clinic = "east"}, [](const engine::Alert&) { return false; }},
  };
  for (const auto& c : cases) {
    std::vector<engine::Alert> kept;
    for (const auto& change : all) {
      if (c.keep(change.alert)) kept.push_back(change.alert);
    }
    std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
      return std::tie(a.episode.opened_at, a.id) > std::tie(b.episode.opened_at, b.id);
    });
    std::vector<json> expected;
    for (const auto& a : kept) expected.push_back(engine::to_json(a));
    for (const std::size_t limit : {1u, 3u, 100u}) {
      const auto rows = all_pages(
          [&](const Page& page) {
            auto query = c.query;
            query.page = page;
            return store().alerts(query);
          },
          limit);
      EXPECT_EQ(rows, expected) << c.name << ", " << limit << " a page";
    }
  }
}

TEST_P(StoreContract, Sessions_FilterAndPageByStartAscending) {
  std::vector<engine::SessionChange> all;
  for (int i = 0; i < 30; ++i) {
    all.push_back(session(i % 3 == 0 ? "south" : "north", "PEN-000" + std::to_string(i % 4), "S-" + std::to_string(i),
                          at(30 - i / 2)));
  }
  Commit commit;
  commit.sessions = all;
  store().commit(commit);

  struct Case {
    const char* name;
    RecordQuery query;
    std::function<bool(const engine::SessionChange&)> keep;
  };
  const std::vector<Case> cases{
      {"all", {}, [](const auto&) { return true; }},
      {"clinic", {.clinic = "south"}, [](const auto& s) { return s.clinic.str() == "south"; }},
      {"pen", {.device = "PEN-0002"}, [](const auto& s) { return s.pen.str() == "PEN-0002"; }},
      {"from-to",
       {.from = at(20), .to = at(25)},
       [](const auto& s) { return s.session.started >= at(20) && s.session.started < at(25); }},
      {"combined",
       {.clinic = "north", .device = "PEN-0001", .to = at(28)},
       [](const auto& s) {
         return s.clinic.str() == "north" && s.pen.str() == "PEN-0001" && s.session.started < at(28);
       }},
  };
  for (const auto& c : cases) {
    std::vector<engine::SessionChange> kept;
    for (const auto& s : all) {
      if (c.keep(s)) kept.push_back(s);
    }
    std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
      return std::tie(a.session.started, a.pen, a.session.id) < std::tie(b.session.started, b.pen, b.session.id);
    });
    std::vector<json> expected;
    for (const auto& s : kept) expected.push_back(engine::to_json(s));
    for (const std::size_t limit : {1u, 4u, 100u}) {
      const auto rows = all_pages(
          [&](const Page& page) {
            auto query = c.query;
            query.page = page;
            return store().sessions(query);
          },
          limit);
      EXPECT_EQ(rows, expected) << c.name << ", " << limit << " a page";
    }
  }
}

TEST_P(StoreContract, Cycles_FilterAndPageByTimeAscending) {
  Commit c;
  for (int i = 0; i < 25; ++i) {
    c.cycles.push_back(
        cycle(i % 2 ? "north" : "south", i % 3 ? "STER-01" : "STER-02", "CYC-" + std::to_string(i), at(i / 2)));
  }
  store().commit(c);
  auto keys = [](const std::vector<json>& rows) { return field(rows, "key"); };
  const auto all = all_pages([&](const Page& p) { return store().cycles({.page = p}); }, 4);
  ASSERT_EQ(all.size(), 25u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [](const json& a, const json& b) {
    return std::tie(a.at("ts"), a.at("key")) < std::tie(b.at("ts"), b.at("key"));
  }));
  const auto ster2 = all_pages([&](const Page& p) { return store().cycles({.device = "STER-02", .page = p}); }, 2);
  EXPECT_EQ(keys(ster2), (std::vector<std::string>{"STER-02/CYC-0", "STER-02/CYC-3", "STER-02/CYC-6", "STER-02/CYC-9",
                                                   "STER-02/CYC-12", "STER-02/CYC-15", "STER-02/CYC-18",
                                                   "STER-02/CYC-21", "STER-02/CYC-24"}));
  const auto window = all_pages(
      [&](const Page& p) { return store().cycles({.clinic = "north", .from = at(2), .to = at(5), .page = p}); }, 1);
  EXPECT_EQ(keys(window), (std::vector<std::string>{"STER-01/CYC-5", "STER-01/CYC-7", "STER-02/CYC-9"}));
}

// A page's cursor and the query's bound on the same time both say where a page starts (`from`
// ascending, `to` newest first). Whichever is tighter, and whatever page size, the pages list what one
// big page lists; a cursor from outside the bounds (a client's stale link) starts at the bound.
class PagingWithBounds : public StoreContract {
 protected:
  void SetUp() override {
    StoreContract::SetUp();
    Commit c;
    for (int i = 0; i < 40; ++i) {
      const auto n = std::to_string(i);
      c.sessions.push_back(session(i % 3 ? "north" : "south", "PEN-000" + std::to_string(i % 4), "S-" + n, at(i / 2)));
      c.cycles.push_back(cycle(i % 3 ? "north" : "south", i % 2 ? "STER-01" : "STER-02", "CYC-" + n, at(i / 2)));
      c.alerts.push_back(alert({.device = "PEN-000" + std::to_string(i % 4), .opened = at(i / 2), .trigger = n}));
    }
    store().commit(c);
  }

  // The rows of the pages that follow `after`, `limit` a page.
  static std::vector<json> pages_after(const std::function<Rows(const Page&)>& query, std::string after,
                                       std::size_t limit) {
    std::vector<json> rows;
    Page page{limit, std::move(after)};
    for (int guard = 0; guard < 1000; ++guard) {
      auto result = query(page);
      for (auto& row : result.rows) rows.push_back(std::move(row));
      if (result.next.empty()) return rows;
      page.after = std::move(result.next);
    }
    ADD_FAILURE() << "pagination does not end";
    return rows;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, PagingWithBounds, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<Backend>& param) { return param.param.name; });

struct Bounds {
  std::optional<Timestamp> from;
  std::optional<Timestamp> to;
};
const std::vector<Bounds> kBounds{{at(5), at(15)}, {at(5), std::nullopt}, {std::nullopt, at(15)}, {at(5), at(6)}};

TEST_P(PagingWithBounds, Sessions_PagesListWhatOneBigPageLists) {
  for (const auto& b : kBounds) {
    const auto query = [&](const Page& page) { return store().sessions({.from = b.from, .to = b.to, .page = page}); };
    const auto whole = query({max_page_limit, ""}).rows;
    for (const std::size_t limit : {1u, 3u, 7u}) EXPECT_EQ(all_pages(query, limit), whole) << limit << " a page";
    const auto hostile = store().sessions({.page = {1, ""}}).next;  // the very first row, before `from`
    EXPECT_EQ(pages_after(query, hostile, 3), b.from ? whole : std::vector<json>(whole.begin() + 1, whole.end()));
  }
  const auto last = store().sessions({.from = at(18), .page = {1, ""}}).next;
  EXPECT_TRUE(store().sessions({.to = at(15), .page = {10, last}}).rows.empty()) << "a cursor past `to`";
}

TEST_P(PagingWithBounds, Cycles_PagesListWhatOneBigPageLists) {
  for (const auto& b : kBounds) {
    const auto query = [&](const Page& page) {
      return store().cycles({.clinic = "north", .from = b.from, .to = b.to, .page = page});
    };
    const auto whole = query({max_page_limit, ""}).rows;
    for (const std::size_t limit : {1u, 3u, 7u}) EXPECT_EQ(all_pages(query, limit), whole) << limit << " a page";
    const auto hostile = store().cycles({.page = {1, ""}}).next;  // a south cycle at the start
    if (b.from) {
      EXPECT_EQ(pages_after(query, hostile, 3), whole);
    }
  }
}

TEST_P(PagingWithBounds, Alerts_NewestFirstPagesListWhatOneBigPageLists) {
  for (const auto& b : kBounds) {
    const auto query = [&](const Page& page) { return store().alerts({.from = b.from, .to = b.to, .page = page}); };
    const auto whole = query({max_page_limit, ""}).rows;
    for (const std::size_t limit : {1u, 3u, 7u}) EXPECT_EQ(all_pages(query, limit), whole) << limit << " a page";
    const auto hostile = store().alerts({.page = {1, ""}}).next;  // the newest alert, after `to`
    EXPECT_EQ(pages_after(query, hostile, 3), b.to ? whole : std::vector<json>(whole.begin() + 1, whole.end()));
  }
}

// --- scans ---

TEST_P(PagingWithBounds, Scans_VisitWhatPagesListInTheSameOrder) {
  const std::vector<RecordFilter> filters{
      {}, {.clinic = "south"}, {.from = at(5), .to = at(15)}, {.clinic = "north", .device = "PEN-0001", .to = at(9)}};
  for (const auto& f : filters) {
    std::vector<json> scanned;
    store().scan_sessions(f, [&](std::string_view row) { scanned.push_back(json::parse(row)); });
    EXPECT_EQ(scanned, all_pages(
                           [&](const Page& p) {
                             return store().sessions({f.clinic, f.device, f.from, f.to, p});
                           },
                           max_page_limit));
    scanned.clear();
    const RecordFilter by_sterilizer{f.clinic, f.device ? std::optional<std::string>("STER-01") : std::nullopt, f.from,
                                     f.to};
    store().scan_cycles(by_sterilizer, [&](std::string_view row) { scanned.push_back(json::parse(row)); });
    EXPECT_EQ(scanned, all_pages(
                           [&](const Page& p) {
                             return store().cycles({by_sterilizer.clinic, by_sterilizer.device, f.from, f.to, p});
                           },
                           max_page_limit));
  }
}

TEST_P(PagingWithBounds, Scans_AVisitorMayQueryTheStore) {
  std::size_t visited = 0;
  store().scan_sessions({.clinic = "south"}, [&](std::string_view) {
    ++visited;
    EXPECT_TRUE(store().cycle("STER-02/CYC-0"));
    EXPECT_EQ(store().sessions({.clinic = "south", .page = {1, ""}}).rows.size(), 1u);
  });
  EXPECT_EQ(visited, 14u);
}

TEST_P(PagingWithBounds, Scans_WhatTheVisitorThrowsEndsTheScan) {
  std::size_t visited = 0;
  EXPECT_THROW(store().scan_cycles({}, [&](std::string_view) { throw std::runtime_error(std::to_string(++visited)); }),
               std::runtime_error);
  EXPECT_EQ(visited, 1u);
  Commit more;
  more.sessions.push_back(session("north", "PEN-0009", "S-after", at(30)));
  store().commit(more);  // the scan's read ended with it
  EXPECT_EQ(store().sessions({.device = "PEN-0009"}).rows.size(), 1u);
}

TEST_P(StoreContract, Messages_ADevicesHistoryNewestFirst) {
  for (std::uint64_t seq = 1; seq <= 12; ++seq) {
    Commit c = with_message(telemetry(seq % 2 ? "PEN-0001" : "PEN-0002", seq, at(static_cast<int>(seq))));
    store().commit(c);
  }
  store().commit(with_message(status("PEN-0001", at(13), "north")));
  store().commit(with_message(telemetry("STER-01", 1, at(14), "south")));

  const auto pen1 = all_pages([&](const Page& p) { return store().messages({.device = "PEN-0001", .page = p}); }, 2);
  ASSERT_EQ(pen1.size(), 7u);
  EXPECT_EQ(pen1[0].at("type"), "status");
  EXPECT_EQ(pen1[0].at("seq"), nullptr);
  EXPECT_EQ(pen1[0].at("key"), nullptr);
  EXPECT_EQ(pen1[1].at("seq"), 11);
  EXPECT_EQ(pen1[1].at("key"), "PEN-0001/1/11");
  EXPECT_EQ(pen1[1].at("payload"), telemetry("PEN-0001", 11, at(11)).payload);
  EXPECT_EQ(pen1[1].at("received_at"), protocol::format_timestamp(at(11)));
  EXPECT_EQ(pen1[6].at("seq"), 1);

  const auto south = store().messages({.clinic = "south"}).rows;
  ASSERT_EQ(south.size(), 1u);
  EXPECT_EQ(south[0].at("device"), "STER-01");
  const auto window = store().messages({.device = "PEN-0002", .from = at(4), .to = at(9)}).rows;
  EXPECT_EQ(field(window, "seq"), (std::vector<std::string>{"8", "6", "4"}));
  EXPECT_EQ(all_pages([&](const Page& p) { return store().messages({.page = p}); }, 5).size(), 14u);
}

TEST_P(StoreContract, Quarantine_ListsNewestFirstAndCountsByReason) {
  const std::string binary("\xc3\x28 broken", 9);
  Commit c;
  c.quarantined.push_back(quarantined("bad_json", at(0)));
  c.quarantined.push_back(quarantined("schema", at(1), "{}", "sterifleet/v1/south/STER-01/event"));
  c.quarantined.push_back(quarantined("bad_json", at(2), binary, "not/a/valid/topic"));
  store().commit(c);

  const auto rows = all_pages([&](const Page& p) { return store().quarantine({.page = p}); }, 2);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].at("payload"), nullptr);
  EXPECT_EQ(rows[0].at("payload_hex"), "c3282062726f6b656e");
  EXPECT_EQ(rows[0].at("clinic"), nullptr);
  EXPECT_EQ(rows[1].at("reason"), "schema");
  EXPECT_EQ(rows[1].at("detail"), "detail of schema");
  EXPECT_EQ(rows[2].at("payload"), "{not json");
  EXPECT_EQ(store().quarantine({.clinic = "south"}).rows.size(), 1u);
  EXPECT_EQ(store().quarantine({.device = "PEN-0001"}).rows.size(), 1u);
  EXPECT_EQ(store().quarantine({.from = at(1)}).rows.size(), 2u);
  EXPECT_EQ(store().quarantine_counts(), (std::map<std::string, std::int64_t>{{"bad_json", 2}, {"schema", 1}}));
  EXPECT_EQ(store().stats().quarantined, 3);
}

TEST_P(StoreContract, QuarantineIds_TheWriterNumbersOnFromItsLastId) {
  const auto first = store().quarantine_id_after(store().last_quarantine_id());
  const auto second = store().quarantine_id_after(first);
  EXPECT_GT(second, first);
  Commit c;
  c.quarantined.push_back(quarantined("bad_json", at(0)));
  c.quarantined.back().id = first;
  c.quarantined.push_back(quarantined("schema", at(1)));
  c.quarantined.back().id = second;
  store().commit(c);
  EXPECT_EQ(store().last_quarantine_id(), second);
  reopen();
  EXPECT_EQ(store().last_quarantine_id(), second) << "numbering goes on after a restart";
  const auto entries = journal();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(std::get<QuarantinedMessage>(entries[0].input).id, first);
  EXPECT_EQ(std::get<QuarantinedMessage>(entries[1].input).id, second);
}

TEST_P(StoreContract, Commands_ListNewestFirstWithFilters) {
  for (int i = 0; i < 6; ++i) {
    Commit c;
    c.commands.push_back(
        command("cmd-" + std::to_string(i), i % 2 ? "PEN-0001" : "PEN-0002", at(i), i < 4 ? "north" : "south"));
    store().commit(c);
  }
  const auto all = all_pages([&](const Page& p) { return store().commands({.page = p}); }, 4);
  EXPECT_EQ(field(all, "id"), (std::vector<std::string>{"cmd-5", "cmd-4", "cmd-3", "cmd-2", "cmd-1", "cmd-0"}));
  EXPECT_EQ(all[0].at("payload"), command("cmd-5", "PEN-0001", at(5)).payload);
  EXPECT_EQ(field(store().commands({.device = "PEN-0001"}).rows, "id"),
            (std::vector<std::string>{"cmd-5", "cmd-3", "cmd-1"}));
  EXPECT_EQ(field(store().commands({.clinic = "south"}).rows, "id"), (std::vector<std::string>{"cmd-5", "cmd-4"}));
  EXPECT_EQ(field(store().commands({.from = at(1), .to = at(3)}).rows, "id"),
            (std::vector<std::string>{"cmd-2", "cmd-1"}));
}

TEST_P(StoreContract, Pages_ACursorTheStoreDidNotWriteIsABadCursor) {
  for (const std::string cursor : {"garbage", "12.zz", "12", "", "x.00"}) {
    if (cursor.empty()) continue;
    EXPECT_THROW(store().alerts({.page = {10, cursor}}), BadCursor) << cursor;
    EXPECT_THROW(store().sessions({.page = {10, cursor}}), BadCursor) << cursor;
  }
  EXPECT_THROW(store().messages({.page = {10, "abc"}}), BadCursor);
}

TEST_P(StoreContract, Pages_LimitIsClamped) {
  Commit c;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) c.messages.push_back(telemetry("PEN-0001", seq, at(0)));
  store().commit(c);
  EXPECT_EQ(store().messages({.page = {0, ""}}).rows.size(), 1u);
  EXPECT_EQ(store().messages({.page = {max_page_limit * 10, ""}}).rows.size(), 3u);
}

// --- tokens ---

TEST_P(StoreContract, Tokens_AreFoundByHashListedAndRevoked) {
  const auto anna_hash = sha256_hex("secret-anna");
  store().commit(
      Commit{.new_tokens = {{{"t1", "anna", "manager", at(0), false, ClinicScope({"north", "south"})}, anna_hash},
                            {{"t2", "ben", "auditor", at(1), false, {}}, sha256_hex("secret-ben")}}});

  const auto anna = store().token_by_hash(anna_hash);
  ASSERT_TRUE(anna);
  EXPECT_EQ(anna->id, "t1");
  EXPECT_EQ(anna->name, "anna");
  EXPECT_EQ(anna->role, "manager");
  EXPECT_EQ(anna->created_at, at(0));
  EXPECT_EQ(anna->clinics, ClinicScope({"north", "south"}));
  EXPECT_FALSE(anna->revoked);
  EXPECT_FALSE(store().token_by_hash(sha256_hex("secret-nobody")));

  store().commit(Commit{.revoked_tokens = {"t1"}});
  EXPECT_THROW(store().commit(Commit{.revoked_tokens = {"t9"}}), StoreError);
  EXPECT_TRUE(store().token_by_hash(anna_hash)->revoked);
  const auto all = store().tokens();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "t1");
  EXPECT_TRUE(all[0].revoked);
  EXPECT_EQ(all[1].name, "ben");
  EXPECT_TRUE(all[1].clinics.all());
  // The same secret's hash twice, a name taken (by a revoked token too), a hash that is no hash.
  EXPECT_THROW(store().commit(Commit{.new_tokens = {{{"t3", "copy", "viewer", at(2), false, {}}, anna_hash}}}),
               StoreError);
  EXPECT_THROW(
      store().commit(Commit{.new_tokens = {{{"t4", "anna", "viewer", at(2), false, {}}, sha256_hex("other")}}}),
      StoreError);
  EXPECT_THROW(store().commit(Commit{.new_tokens = {{{"t5", "plain", "viewer", at(2), false, {}}, "secret-anna"}}}),
               StoreError);
  EXPECT_EQ(store().tokens().size(), 2u);
}

// A query for some clinics filters in the store, so pages stay full and the cursor walks only them; a
// quarantined message whose topic named no clinic is in no such query.
TEST_P(StoreContract, ClinicScope_FiltersEveryListingInTheQuery) {
  Commit c;
  for (int i = 0; i < 6; ++i) {
    const std::string clinic = i % 3 == 0 ? "north" : (i % 3 == 1 ? "south" : "east");
    c.sessions.push_back(session(clinic, "PEN-000" + std::to_string(i), "S-" + std::to_string(i), at(i)));
    c.commands.push_back(command("cmd-" + std::to_string(i), "PEN-000" + std::to_string(i), at(i), clinic));
  }
  c.alerts.push_back(alert({.clinic = "south", .opened = at(1)}));
  c.alerts.push_back(alert({.clinic = "north", .device = "PEN-0002", .opened = at(2)}));
  c.quarantined.push_back(quarantined("bad_json", at(1), "{", "sterifleet/v1/north/PEN-0000/event"));
  c.quarantined.push_back(quarantined("bad_topic", at(2), "{}", "not/a/topic"));
  store().commit(c);
  const ClinicScope north_east({"east", "north"});
  const auto sessions = all_pages([&](const Page& p) { return store().sessions({.page = p, .scope = north_east}); }, 1);
  ASSERT_EQ(sessions.size(), 4u);
  for (const auto& row : sessions) EXPECT_NE(row.at("clinic"), "south");
  EXPECT_EQ(store().sessions({.clinic = "south", .scope = north_east}).rows.size(), 0u);
  const auto commands = all_pages([&](const Page& p) { return store().commands({.page = p, .scope = north_east}); }, 3);
  EXPECT_EQ(commands.size(), 4u);
  const auto quarantine = store().quarantine({.scope = ClinicScope({"north"})}).rows;
  ASSERT_EQ(quarantine.size(), 1u);
  EXPECT_EQ(quarantine[0].at("clinic"), "north");
  EXPECT_EQ(store().quarantine({}).rows.size(), 2u);
  const auto alerts = store().alerts({.scope = ClinicScope({"north"})}).rows;
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].at("clinic"), "north");
}

// --- the audit trail ---

// A clinic's listing of the trail is filtered in the query, so its pages are full and walk only its
// records; a scope of some clinics never shows the fleet's records, which name no clinic.
TEST_P(StoreContract, Audit_AListingOfSomeClinicsHoldsTheirRecordsOnly) {
  Commit c;
  for (int i = 1; i <= 9; ++i) {
    c.audit.push_back(audit("alert:" + std::to_string(i), "opened", at(i)));
    c.audit.back().clinic = i % 3 == 1 ? "north" : (i % 3 == 2 ? "south" : "");
  }
  store().commit(c);
  const auto listed = [&](const AuditFilter& filter, std::size_t limit) {
    std::vector<std::string> out;
    const auto rows = all_pages(
        [&](const Page& p) {
          return store().audit_records(p.after.empty() ? 0 : std::stoll(p.after), p.limit, filter);
        },
        limit);
    for (const auto& row : rows) out.push_back(row.at("entity").get<std::string>());
    return out;
  };
  using Entities = std::vector<std::string>;
  EXPECT_EQ(listed({.clinic = "north"}, 1), (Entities{"alert:1", "alert:4", "alert:7"}));
  EXPECT_EQ(listed({.scope = ClinicScope({"north"})}, 2), (Entities{"alert:1", "alert:4", "alert:7"}));
  EXPECT_EQ(listed({.scope = ClinicScope({"north", "south"})}, 2),
            (Entities{"alert:1", "alert:2", "alert:4", "alert:5", "alert:7", "alert:8"}));
  EXPECT_EQ(listed({.clinic = "south", .scope = ClinicScope({"north", "south"})}, 5),
            (Entities{"alert:2", "alert:5", "alert:8"}));
  EXPECT_EQ(listed({.clinic = "south", .scope = ClinicScope({"north"})}, 5), Entities{});
  EXPECT_EQ(listed({}, 4).size(), 9u);
  const auto first = store().audit_records(0, 1, {.clinic = "north"});
  ASSERT_EQ(first.rows.size(), 1u);
  const auto page = store().audit_records(std::stoll(first.next), 1, {.clinic = "north"});
  ASSERT_EQ(page.rows.size(), 1u);
  EXPECT_EQ(page.rows[0].at("entity"), "alert:4");
  EXPECT_EQ(page.rows[0].at("clinic"), "north");
  EXPECT_EQ(
      store().audit_record(page.rows[0].at("chain").get<std::string>(), page.rows[0].at("seq").get<std::int64_t>()),
      page.rows[0]);
  EXPECT_EQ(store().audit_record("no such chain", 1), std::nullopt);
}

// A store keeps one chain (SQLite) or one per clinic and the fleet's (PostgreSQL): either way each chain
// is numbered from 1, every record links to the one before it in its chain, and the fleet chain's head
// is the store's head.
TEST_P(StoreContract, Audit_ChainsGrowLinkAndVerify) {
  for (int i = 0; i < 10; ++i) {
    Commit c;
    c.audit.push_back(audit("pen:PEN-0001", "session.start", at(i), json{{"n", i}, {"text", "quote \" and \n"}}));
    c.audit.back().clinic = "north";
    c.audit.push_back(audit("alert:" + std::to_string(i), "opened", at(i)));  // of the fleet: no clinic
    store().commit(c);
  }
  const auto head = store().audit_head();
  const auto rows = all_pages(
      [&](const Page& p) {
        const auto after = p.after.empty() ? 0 : std::stoll(p.after);
        return store().audit_records(after, p.limit);
      },
      6);
  ASSERT_EQ(rows.size(), 20u);
  std::map<std::string, std::pair<std::int64_t, std::string>> chains;  // chain -> (last seq, last hash)
  for (const auto& row : rows) {
    const auto chain = row.at("chain").get<std::string>();
    EXPECT_TRUE(chain == fleet_chain || chain == clinic_chain("north")) << chain;
    auto& [seq, prev] = chains.try_emplace(chain, 0, std::string(64, '0')).first->second;
    seq += 1;
    EXPECT_EQ(row.at("seq"), seq);
    EXPECT_EQ(row.at("prev_hash"), prev);
    const auto record = record_of(row);
    EXPECT_EQ(row.at("hash"), audit_hash(prev, audit_canonical(seq, record, prev))) << chain << " record " << seq;
    prev = row.at("hash").get<std::string>();
  }
  EXPECT_EQ(rows[0].at("after"), (json{{"n", 0}, {"text", "quote \" and \n"}}));
  EXPECT_EQ(rows[0].at("clinic"), "north");
  EXPECT_EQ(rows[1].at("clinic"), nullptr);
  const auto& fleet = chains.at(std::string(fleet_chain));
  EXPECT_EQ(head.seq, fleet.first);
  EXPECT_EQ(head.hash, fleet.second);
  const auto verification = store().verify_audit();
  EXPECT_TRUE(verification.intact) << verification.problem;
  EXPECT_EQ(verification.records, 20);
  EXPECT_EQ(verification.chains, static_cast<std::int64_t>(chains.size()));
  EXPECT_EQ(verification.fleet_records, fleet.first);
  EXPECT_EQ(verification.head.seq, head.seq);
  EXPECT_EQ(verification.head.hash, head.hash);
  EXPECT_EQ(store().stats().audit_records, 20);
}

// --- engine snapshots ---

Snapshot snapshot_of(std::int64_t commit, std::string state = std::string("\0engine state\xff", 14)) {
  return {commit, at(static_cast<int>(commit)), std::move(state) + std::to_string(commit)};
}

TEST_P(StoreContract, Snapshot_NoneInAFreshStore) { EXPECT_FALSE(store().latest_snapshot()); }

TEST_P(StoreContract, Snapshot_TheLatestIsTheNewestByCommitAndSurvivesReopen) {
  for (std::uint64_t seq = 1; seq <= 3; ++seq) store().commit(with_message(telemetry("PEN-0001", seq, at(0))));
  for (const std::int64_t commit : {1, 3, 2}) store().save_snapshot(snapshot_of(commit));
  reopen();
  const auto latest = store().latest_snapshot();
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->commit, 3);
  EXPECT_EQ(latest->taken_at, at(3));
  EXPECT_EQ(latest->state, snapshot_of(3).state) << "the bytes come back as they were, NULs and all";
  EXPECT_EQ(journal().size(), 3u) << "a snapshot is not a journal entry";
}

TEST_P(StoreContract, Snapshot_KeepsTheNewestTwo) {
  for (std::uint64_t seq = 1; seq <= 3; ++seq) store().commit(with_message(telemetry("PEN-0001", seq, at(0))));
  for (const std::int64_t commit : {1, 2, 3}) store().save_snapshot(snapshot_of(commit));
  const auto older = store().latest_snapshot_before(3);
  ASSERT_TRUE(older);
  EXPECT_EQ(older->commit, 2);
  EXPECT_FALSE(store().latest_snapshot_before(2)) << "the third newest is forgotten";
}

TEST_P(StoreContract, Snapshot_AnOlderOneSavedLastIsKeptWithTheNewest) {
  for (std::uint64_t seq = 1; seq <= 3; ++seq) store().commit(with_message(telemetry("PEN-0001", seq, at(0))));
  for (const std::int64_t commit : {3, 2, 1}) store().save_snapshot(snapshot_of(commit));
  EXPECT_EQ(store().latest_snapshot()->commit, 3);
  const auto older = store().latest_snapshot_before(3);
  ASSERT_TRUE(older);
  EXPECT_EQ(older->commit, 1) << "the snapshot just saved is kept, with the newest other";
}

TEST_P(StoreContract, Snapshot_OfTheSameCommitReplacesIt) {
  store().commit(with_message(telemetry("PEN-0001", 1, at(0))));
  store().save_snapshot(snapshot_of(1, "first"));
  store().save_snapshot(snapshot_of(1, "second"));
  EXPECT_EQ(store().latest_snapshot()->state, "second1");
  EXPECT_FALSE(store().latest_snapshot_before(1));
}

TEST_P(StoreContract, Snapshot_OfACommitTheJournalHasNotReachedIsRefused) {
  store().commit(with_message(telemetry("PEN-0001", 1, at(0))));
  try {
    store().save_snapshot(snapshot_of(2));
    FAIL() << "a snapshot ahead of the journal must be refused";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("commit 2"));
  }
  EXPECT_FALSE(store().latest_snapshot());
}

TEST_P(StoreContract, Snapshot_SavedWhileAnotherThreadCommits) {
  std::atomic<std::int64_t> last{0};
  std::atomic<int> saved{0};
  std::thread writer([&] {
    for (std::uint64_t seq = 1; seq <= 200; ++seq) {
      last = store().commit(with_message(telemetry("PEN-0001", seq, at(0))));
      // Halfway, until a snapshot is in: the saves then meet commits still to come, however busy the
      // machine (a writer that ran all 200 before this thread's first look left nothing to test).
      while (seq == 100 && saved == 0) std::this_thread::yield();
    }
  });
  while (last < 200) {
    if (const auto commit = last.load(); commit > 0) {
      store().save_snapshot(snapshot_of(commit));
      ++saved;
    }
  }
  writer.join();
  EXPECT_GT(saved, 0);
  EXPECT_EQ(journal().size(), 200u);
  EXPECT_EQ(journal().back().commit, 200) << "saving snapshots took no commit numbers";
  EXPECT_LE(store().latest_snapshot()->commit, 200);
}

// --- concurrency and crashes ---

TEST_P(StoreContract, TwoWriters_OnePlaceNumberCommitsAndChainWithoutForking) {
  auto other = open();
  for (int i = 0; i < 20; ++i) {
    Store& writer = i % 3 == 0 ? *other : store();
    Commit c;
    c.actions.push_back(action("tick", at(i), "engine"));
    c.audit.push_back(audit("policy", "tick", at(i)));
    if (i % 4 == 0) c = Commit{.alerts = {alert({.opened = at(i), .trigger = std::to_string(i)})}};
    writer.commit(c);
  }
  const auto entries = journal();
  for (std::size_t i = 1; i < entries.size(); ++i) EXPECT_GT(entries[i].commit, entries[i - 1].commit);
  // The journal-less commits (every fourth) still took their numbers: 20 commits, 20 numbers.
  store().commit(with_message(telemetry("PEN-0001", 1, at(30))));
  EXPECT_EQ(journal().back().commit, 21);
  const auto verification = store().verify_audit();
  EXPECT_TRUE(verification.intact) << verification.problem;
  EXPECT_EQ(verification.records, 15);
  EXPECT_EQ(other->audit_head().seq, store().audit_head().seq);
}

TEST_P(StoreContract, Readers_RunWhileTheWriterCommits) {
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done) {
        store().messages({.device = "PEN-0001", .page = {5, ""}});
        store().alerts({});
        store().verify_audit();
        ++reads;
      }
    });
  }
  for (std::uint64_t seq = 1; seq <= 300; ++seq) {
    Commit c = with_message(telemetry("PEN-0001", seq, at(0)));
    c.audit.push_back(audit("pen:PEN-0001", "telemetry", at(0)));
    store().commit(c);
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_TRUE(store().verify_audit().intact);
  EXPECT_EQ(store().stats().messages, 300);
}

TEST_P(StoreContract, Crash_EveryCommitReportedBeforeSigkillSurvives) {
  store_.reset();
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    try {
      auto writer = open();
      for (std::uint64_t seq = 1;; ++seq) {
        Commit c = with_message(telemetry("PEN-0001", seq, at(0)));
        if (seq % 3 == 0) c.audit.push_back(audit("pen:PEN-0001", "telemetry", at(0)));
        writer->commit(c);
        // Reported only after commit() returned: what the daemon would acknowledge.
        if (write(pipe_fds[1], &seq, sizeof seq) != sizeof seq) _exit(3);
      }
    } catch (...) {
      _exit(2);
    }
  }
  close(pipe_fds[1]);
  std::uint64_t reported = 0;
  std::uint64_t value = 0;
  while (reported < 400 && read(pipe_fds[0], &value, sizeof value) == sizeof value) reported = value;
  ASSERT_EQ(kill(child, SIGKILL), 0);
  while (read(pipe_fds[0], &value, sizeof value) == sizeof value) reported = value;  // what it said before dying
  close(pipe_fds[0]);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the child stopped by itself, status " << wstatus;
  ASSERT_GE(reported, 400u);

  store_ = open();
  for (std::uint64_t seq = 1; seq <= reported; ++seq) {
    ASSERT_TRUE(store().stored_payload("PEN-0001", 1, seq)) << "commit of seq " << seq << " was reported but is lost";
  }
  const auto entries = journal();
  ASSERT_GE(entries.size(), reported);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].commit, static_cast<std::int64_t>(i) + 1);
  }
  EXPECT_GE(store().audit_head().seq, static_cast<std::int64_t>(reported / 3));
  const auto verification = store().verify_audit();
  EXPECT_TRUE(verification.intact) << verification.problem;
  // And the store goes on from where the child left it.
  Commit next = with_message(telemetry("PEN-0001", entries.size() + 1, at(1)));
  next.audit.push_back(audit("pen:PEN-0001", "telemetry", at(1)));
  store().commit(next);
  EXPECT_TRUE(store().verify_audit().intact);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<Backend>& param) { return param.param.name; });

}  // namespace
}  // namespace sterifleet::store::testing
