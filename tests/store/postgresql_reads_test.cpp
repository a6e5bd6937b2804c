// The PostgreSQL store's read side and outbox (daemon/store/postgresql/pg_reads.hpp) against a real
// PostgreSQL, before the store class that calls them: the same commits go into a SQLite store (through
// its commit) and into PostgreSQL (the rows its commit writes, inserted here), and every listing, page,
// cursor and outbox step must come out of PostgreSQL as it comes out of SQLite, which the store contract
// suite holds to store.hpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "../../daemon/store/postgresql/pg_reads.hpp"
#include "../../daemon/store/postgresql/pg_select.hpp"
#include "sterifleet/protocol/topic.hpp"
#include "sterifleet/testing/postgres.hpp"
#include "store_fixtures.hpp"

namespace sterifleet::store::testing {
namespace {

using namespace std::chrono_literals;
using engine::AlertState;
using engine::RuleId;
using nlohmann::json;
namespace pg = postgresql;

std::int64_t millis(Timestamp t) { return t.time_since_epoch().count(); }

std::string schema_v1() {
  std::ifstream file(STERIFLEET_PG_SCHEMA_V1);
  std::stringstream text;
  text << file.rdbuf();
  if (text.str().empty()) throw std::runtime_error("cannot read " STERIFLEET_PG_SCHEMA_V1);
  return text.str();
}

ClinicScope only(std::string clinic) { return ClinicScope({std::move(clinic)}); }

class PostgresReads : public ::testing::Test {
 protected:
  PostgresReads() : sqlite_(open_sqlite(dir_.file("store.db"))) {}
  void SetUp() override { connect(sterifleet::testing::shared_postgres().fresh_database("reads")); }

  void connect(const std::string& url) {
    pg_ = std::make_unique<pqxx::connection>(url);
    pqxx::work tx(*pg_);
    tx.exec(schema_v1());
    tx.commit();
  }

  template <class Read>
  auto pg_read(Read read) {
    pqxx::read_transaction tx(*pg_);
    return read(tx);
  }
  template <class Write>
  void pg_write(Write write) {
    pqxx::work tx(*pg_);
    write(tx);
    tx.commit();
  }

  /// Stores `c` in both back-ends: SQLite through its commit, PostgreSQL as the rows a commit writes.
  void store(const Commit& c) {
    const auto n = sqlite_->commit(c);
    pg_write([&](pqxx::transaction_base& tx) {
      for (const auto& m : c.messages) insert(tx, n, m);
      for (const auto& q : c.quarantined) insert(tx, n, q);
      for (const auto& a : c.alerts) upsert(tx, n, a);
      for (const auto& s : c.sessions) upsert(tx, n, s);
      for (const auto& y : c.cycles) upsert(tx, n, y);
      for (const auto& command : c.commands) insert(tx, n, command);
      pg::write_outbox(tx, kShard, n, c.cancellations, c.notifications);
    });
  }

  /// Pages of `limit` rows from both back-ends: the same rows and the same cursors, page by page.
  void expect_same_pages(const std::function<Rows(Store&, const Page&)>& on_sqlite,
                         const std::function<Rows(pqxx::transaction_base&, const Page&)>& on_pg, std::size_t limit,
                         const std::string& what) {
    Page page{limit, ""};
    for (int guard = 0; guard < 1000; ++guard) {
      const auto expected = on_sqlite(*sqlite_, page);
      const auto actual = pg_read([&](auto& tx) { return on_pg(tx, page); });
      EXPECT_EQ(actual.rows, expected.rows) << what << ", " << limit << " a page, after \"" << page.after << "\"";
      EXPECT_EQ(actual.next, expected.next) << what << ", " << limit << " a page";
      if (actual.next.empty() || actual.next != expected.next) return;
      page.after = actual.next;
    }
    ADD_FAILURE() << what << ": pagination does not end";
  }

  template <class Query>
  void expect_same_listings(const std::vector<Query>& queries, Rows (Store::*on_sqlite)(const Query&),
                            Rows (*on_pg)(pqxx::transaction_base&, const Query&), const std::string& what) {
    ASSERT_GT(((*sqlite_).*on_sqlite)(queries.at(0)).rows.size(), 2u) << what << ": too few rows to page through";
    for (std::size_t i = 0; i < queries.size(); ++i) {
      for (const std::size_t limit : {std::size_t{0}, std::size_t{2}, max_page_limit}) {
        expect_same_pages(
            [&](Store& s, const Page& page) {
              auto q = queries[i];
              q.page = page;
              return (s.*on_sqlite)(q);
            },
            [&](pqxx::transaction_base& tx, const Page& page) {
              auto q = queries[i];
              q.page = page;
              return on_pg(tx, q);
            },
            limit, what + " query " + std::to_string(i));
      }
    }
  }

  static constexpr int kShard = 3;
  TempDir dir_;
  std::unique_ptr<Store> sqlite_;
  std::unique_ptr<pqxx::connection> pg_;

 private:
  static const char* or_null(const std::optional<std::string>& text) { return text ? text->c_str() : nullptr; }

  static void insert(pqxx::transaction_base& tx, std::int64_t n, const StoredMessage& m) {
    const auto seq = m.seq ? std::optional(std::to_string(*m.seq)) : std::nullopt;
    const auto ts = m.ts ? std::optional(std::to_string(millis(*m.ts))) : std::nullopt;
    tx.exec_params(
        "INSERT INTO messages (shard, commit_seq, received_at, topic, payload, clinic, device, boot, seq, ts, type) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        kShard, n, millis(m.received_at), m.topic, m.payload, m.clinic, m.device, std::int64_t{m.boot}, or_null(seq),
        or_null(ts), m.type);
  }
  static void insert(pqxx::transaction_base& tx, std::int64_t n, const QuarantinedMessage& q) {
    ASSERT_GT(q.id, 0) << "the writer numbers quarantined messages before it commits";
    const auto topic = protocol::parse_topic(q.topic);
    const auto clinic = topic ? std::optional(topic->clinic.str()) : std::nullopt;
    const auto device = topic ? std::optional(topic->device.str()) : std::nullopt;
    tx.exec_params(
        "INSERT INTO quarantine (id, shard, commit_seq, received_at, topic, payload, reason, detail, clinic, device) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        q.id, kShard, n, millis(q.received_at), q.topic, pqxx::binarystring(q.payload.data(), q.payload.size()),
        q.reason, q.detail, or_null(clinic), or_null(device));
  }
  static void insert(pqxx::transaction_base& tx, std::int64_t n, const IssuedCommand& c) {
    tx.exec_params(
        "INSERT INTO commands (id, shard, commit_seq, issued_at, clinic, device, topic, payload) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        c.id, kShard, n, millis(c.issued_at), c.clinic, c.device, c.topic, c.payload);
  }
  static void upsert(pqxx::transaction_base& tx, std::int64_t n, const engine::AlertChange& change) {
    const auto& a = change.alert;
    tx.exec_params(
        "INSERT INTO alerts (id, shard, clinic, rule, state, device, opened_at, transition, commit_seq, row) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
        "device = excluded.device, opened_at = excluded.opened_at, transition = excluded.transition, "
        "commit_seq = excluded.commit_seq, row = excluded.row",
        a.id, kShard, a.clinic.str(), std::string(engine::to_string(a.rule)), std::string(engine::to_string(a.state())),
        a.episode.device.str(), millis(a.episode.opened_at), std::string(engine::to_string(change.transition)), n,
        engine::to_json(a).dump());
  }
  static void upsert(pqxx::transaction_base& tx, std::int64_t n, const engine::SessionChange& s) {
    tx.exec_params(
        "INSERT INTO sessions (pen, session, shard, clinic, started, commit_seq, row) VALUES ($1, $2, $3, $4, $5, $6, "
        "$7) ON CONFLICT (pen, session) DO UPDATE SET started = excluded.started, row = excluded.row",
        s.pen.str(), s.session.id.str(), kShard, s.clinic.str(), millis(s.session.started), n,
        engine::to_json(s).dump());
  }
  static void upsert(pqxx::transaction_base& tx, std::int64_t n, const engine::CycleChange& change) {
    const auto& c = change.cycle;
    tx.exec_params(
        "INSERT INTO cycles (key, shard, clinic, sterilizer, ts, commit_seq, row) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (key) DO UPDATE SET ts = excluded.ts, row = excluded.row",
        c.key, kShard, c.clinic.str(), c.sterilizer.str(), millis(c.ts), n, engine::to_json(c).dump());
  }
};

// A fleet of two clinics with ties in every ordering's time column.
Commit records() {
  Commit c;
  constexpr std::array states{AlertState::open, AlertState::acknowledged, AlertState::resolved, AlertState::withdrawn};
  for (int i = 0; i < 12; ++i) {
    const auto n = std::to_string(i);
    const std::string clinic = i % 3 == 0 ? "south" : "north";
    const auto device = "PEN-000" + std::to_string(i % 4);
    c.alerts.push_back(alert({.clinic = clinic,
                              .rule = i % 2 ? RuleId::battery_low : RuleId::service_due,
                              .device = device,
                              .opened = at(i / 2),
                              .trigger = n,
                              .state = states[static_cast<std::size_t>(i % 4)]}));
    c.sessions.push_back(session(clinic, device, "S-" + n, at(i / 2), i % 2 == 0));
    c.cycles.push_back(cycle(clinic, i % 2 ? "STER-01" : "STER-02", "CYC-" + n, at(i / 2)));
    c.commands.push_back(command("cmd-" + n, device, at(i), clinic));
  }
  return c;
}

Commit traffic() {
  Commit c;
  for (std::uint64_t seq = 1; seq <= 5; ++seq) c.messages.push_back(telemetry("PEN-0001", seq, at(int(seq))));
  for (std::uint64_t seq = 1; seq <= 3; ++seq) c.messages.push_back(telemetry("PEN-0101", seq, at(int(seq)), "south"));
  c.messages.push_back(status("PEN-0001", at(4)));
  const std::array<QuarantinedMessage, 4> quarantine{
      quarantined("json", at(1)),
      quarantined("encoding", at(2), "\xff\xfe not UTF-8"),
      quarantined("topic", at(3), "{}", "not/a/sterifleet/topic"),
      quarantined("json", at(3), "[", "sterifleet/v1/south/PEN-0101/event"),
  };
  for (std::size_t i = 0; i < quarantine.size(); ++i) {
    c.quarantined.push_back(quarantine[i]);
    c.quarantined.back().id = static_cast<std::int64_t>(i) + 1;
  }
  return c;
}

const std::vector<AlertQuery> kAlertQueries{
    {},
    {.state = "open"},
    {.rule = "device.battery_low"},
    {.clinic = "north"},
    {.device = "PEN-0001"},
    {.from = at(1)},
    {.to = at(4)},
    {.from = at(1), .to = at(4)},
    {.scope = only("south")},
    {.clinic = "north", .scope = only("south")},
};

// Filled in place: GCC 12 at -O3 warns falsely (-Wmaybe-uninitialized) on a list of braced queries.
std::vector<RecordQuery> record_queries(const std::string& device) {
  std::vector<RecordQuery> queries(8);
  queries[1].clinic = "north";
  queries[2].device = device;
  queries[3].from = at(2);
  queries[4].to = at(4);
  queries[5].from = at(1);
  queries[5].to = at(4);
  queries[6].scope = only("south");
  queries[7].clinic = "north";
  queries[7].device = device;
  queries[7].scope = only("north");
  return queries;
}

TEST_F(PostgresReads, Listings_AreTheSqliteBackEndsRowsPagesAndCursors) {
  store(records());
  store(traffic());
  expect_same_listings(kAlertQueries, &Store::alerts, &pg::alerts, "alerts");
  expect_same_listings(record_queries("PEN-0001"), &Store::sessions, &pg::sessions, "sessions");
  expect_same_listings(record_queries("STER-01"), &Store::cycles, &pg::cycles, "cycles");
  expect_same_listings(record_queries("PEN-0001"), &Store::messages, &pg::messages, "messages");
  expect_same_listings(record_queries("PEN-0101"), &Store::quarantine, &pg::quarantine, "quarantine");
  expect_same_listings(record_queries("PEN-0002"), &Store::commands, &pg::commands, "commands");
}

TEST_F(PostgresReads, SingleRowsAndCounts_AreTheSqliteBackEnds) {
  auto c = records();
  store(c);
  store(traffic());
  const auto& id = c.alerts.front().alert.id;
  EXPECT_EQ(pg_read([&](auto& tx) { return pg::alert(tx, id); }), sqlite_->alert(id));
  EXPECT_FALSE(pg_read([&](auto& tx) { return pg::alert(tx, "nope"); }));
  EXPECT_EQ(pg_read([&](auto& tx) { return pg::cycle(tx, "STER-01/CYC-1"); }), sqlite_->cycle("STER-01/CYC-1"));
  EXPECT_FALSE(pg_read([&](auto& tx) { return pg::cycle(tx, "STER-01/CYC-0"); }));
  for (const std::int64_t q : {1, 2, 3, 4, 5}) {
    EXPECT_EQ(pg_read([&](auto& tx) { return pg::quarantined(tx, q); }), sqlite_->quarantined(q)) << q;
  }
  const auto counts = pg_read([](auto& tx) { return pg::quarantine_counts(tx); });
  EXPECT_EQ(counts, sqlite_->quarantine_counts());
  EXPECT_EQ(counts.at("json"), 2);
}

TEST_F(PostgresReads, Quarantine_KeepsBytesThatAreNotUtf8AsHex_AndRowsWithoutAClinicOnlyForAll) {
  store(traffic());
  const auto row = pg_read([](auto& tx) { return pg::quarantined(tx, 2); });
  ASSERT_TRUE(row);
  EXPECT_TRUE(row->at("payload").is_null());
  EXPECT_EQ(row->at("payload_hex"), "fffe206e6f74205554462d38");
  const auto ids = [&](const ClinicScope& scope) {
    std::vector<std::int64_t> out;
    for (const auto& r : pg_read([&](auto& tx) { return pg::quarantine(tx, {.scope = scope}); }).rows) {
      out.push_back(r.at("id"));
    }
    return out;
  };
  EXPECT_EQ(ids({}), (std::vector<std::int64_t>{4, 3, 2, 1}));
  EXPECT_EQ(ids(only("north")), (std::vector<std::int64_t>{2, 1}));
}

TEST_F(PostgresReads, Pages_ACursorTheStoreDidNotWriteIsABadCursor) {
  store(records());
  for (const std::string after : {"x", "12.zz", "12", "12.41.42.43", ".41"}) {
    EXPECT_THROW(pg_read([&](auto& tx) { return pg::alerts(tx, {.page = {10, after}}); }), BadCursor) << after;
    EXPECT_THROW(pg_read([&](auto& tx) { return pg::sessions(tx, {.page = {10, after}}); }), BadCursor) << after;
  }
  EXPECT_THROW(pg_read([](auto& tx) { return pg::cycles(tx, {.page = {10, "12"}}); }), BadCursor);
  EXPECT_THROW(pg_read([](auto& tx) { return pg::messages(tx, {.page = {10, "12.41"}}); }), BadCursor);
  EXPECT_THROW(pg_read([](auto& tx) { return pg::commands(tx, {.page = {10, "x"}}); }), BadCursor);
  EXPECT_THROW(pg_read([](auto& tx) { return pg::quarantine(tx, {.page = {10, "x"}}); }), BadCursor);
}

TEST_F(PostgresReads, Scans_VisitTheTextSqliteVisits) {
  store(records());
  const std::vector<RecordFilter> filters{
      {}, {.clinic = "north"}, {.device = "PEN-0001"}, {.device = "STER-02"}, {.from = at(1), .to = at(4)}};
  const auto texts = [](auto scan) {
    std::vector<std::string> out;
    scan([&](std::string_view row) { out.emplace_back(row); });
    return out;
  };
  for (std::size_t i = 0; i < filters.size(); ++i) {
    const auto& f = filters[i];
    EXPECT_EQ(pg_read([&](auto& tx) { return texts([&](auto visit) { pg::scan_sessions(tx, f, visit); }); }),
              texts([&](auto visit) { sqlite_->scan_sessions(f, visit); }))
        << "filter " << i;
    EXPECT_EQ(pg_read([&](auto& tx) { return texts([&](auto visit) { pg::scan_cycles(tx, f, visit); }); }),
              texts([&](auto visit) { sqlite_->scan_cycles(f, visit); }))
        << "filter " << i;
  }
}

TEST_F(PostgresReads, Scans_StreamMoreRowsThanAFetchInPageOrder_AndEndWithWhatTheVisitorThrows) {
  const int rows = 2 * static_cast<int>(pg::Select::kScanFetchRows) + 7;
  pg_write([&](pqxx::transaction_base& tx) {
    tx.exec_params(
        "INSERT INTO sessions (pen, session, shard, clinic, started, commit_seq, row) "
        "SELECT 'PEN-' || (i % 3), 'S-' || i, 0, 'east', i / 5, 1, json_build_object('n', i)::text "
        "FROM generate_series(1, $1) i",
        rows);
  });
  std::vector<json> scanned;
  pg_read([&](auto& tx) {
    pg::scan_sessions(tx, {.clinic = "east"}, [&](std::string_view row) { scanned.push_back(json::parse(row)); });
    return 0;
  });
  ASSERT_EQ(scanned.size(), static_cast<std::size_t>(rows));
  const auto paged =
      all_pages([&](const Page& page) { return pg_read([&](auto& tx) { return pg::sessions(tx, {.page = page}); }); },
                max_page_limit / 2);
  EXPECT_EQ(scanned, paged);

  struct Enough {};
  int visited = 0;
  EXPECT_THROW(pg_read([&](auto& tx) {
                 pg::scan_sessions(tx, {}, [&](std::string_view) {
                   if (++visited == 3) throw Enough{};
                 });
                 return 0;
               }),
               Enough);
  EXPECT_EQ(visited, 3);
}

TEST_F(PostgresReads, Order_IsByBytesWhateverTheDatabasesLocale) {
  // In an ICU "en" database "PEN-a" sorts before "PEN-B"; SQLite compares bytes and puts 'B' (0x42) first.
  auto& server = sterifleet::testing::shared_postgres();
  const auto name = "icu_" + std::to_string(::getpid());
  server.query("postgres", "CREATE DATABASE " + name + " LOCALE_PROVIDER icu ICU_LOCALE 'en' TEMPLATE template0");
  connect(server.url(name));
  ASSERT_EQ(pg_read([](auto& tx) { return tx.exec("SELECT 'PEN-a' < 'PEN-B'")[0][0].template as<bool>(); }), true);
  Commit c;
  for (const std::string x : {"a", "B", "b", "A", "_", "0"}) {
    c.sessions.push_back(session("north", "PEN-" + x, "S-" + x, at(0)));
    c.sessions.push_back(session("north", "PEN-0", "S-" + x, at(1)));
    c.cycles.push_back(cycle("north", "STER-01", "CYC-" + x, at(0)));
    OutboxRow n;
    n.id = "n-" + x;
    n.alert_id = "a1";
    n.clinic = "north";
    n.receiver = "hook";
    n.kind = "firing";
    n.created_at = n.due_at = at(0);
    n.notice = "{}";
    c.notifications.push_back(n);
  }
  store(c);
  expect_same_listings(record_queries("PEN-0"), &Store::sessions, &pg::sessions, "sessions");
  expect_same_listings(record_queries("STER-01"), &Store::cycles, &pg::cycles, "cycles");
  EXPECT_EQ(pg_read([](auto& tx) { return pg::notifications(tx, {}); }), sqlite_->notifications({}));
}

// --- the outbox ---

OutboxRow notification(std::string id, std::string alert, std::string kind, Timestamp due,
                       std::string receiver = "hook", std::string clinic = "north") {
  OutboxRow r;
  r.id = std::move(id);
  r.alert_id = std::move(alert);
  r.clinic = std::move(clinic);
  r.receiver = std::move(receiver);
  r.kind = std::move(kind);
  r.route = "all";
  r.created_at = at(0);
  r.due_at = due;
  r.notice = R"({"id":"x","summary":"battery at 12 %"})";
  return r;
}

json as_json(const std::vector<PendingNotification>& rows) {
  auto out = json::array();
  for (const auto& p : rows) {
    const auto& r = p.row;
    out.push_back({r.id, r.alert_id, r.clinic, r.receiver, r.kind, r.route, millis(r.created_at), millis(r.due_at),
                   r.every.count(), r.until ? json(millis(*r.until)) : json(nullptr), r.notice, p.round, p.attempts,
                   p.first_failure ? json(millis(*p.first_failure)) : json(nullptr)});
  }
  return out;
}

DeliveryAttempt attempt(std::string id, std::int64_t round, DeliveryAttempt::Result result,
                        std::optional<Timestamp> next = std::nullopt) {
  const bool delivered = result == DeliveryAttempt::Result::delivered;
  return {std::move(id), round, at(0, 1500), result, delivered ? 200 : 503, delivered ? "HTTP 200" : "HTTP 503: busy",
          120ms,         next};
}

class PostgresOutbox : public PostgresReads {
 protected:
  void expect_same_outbox(const std::string& when) {
    for (const auto& q : std::vector<NotificationQuery>{{},
                                                        {.alert_id = "a1"},
                                                        {.clinic = "south"},
                                                        {.receiver = "am"},
                                                        {.state = "pending"},
                                                        {.limit = 2},
                                                        {.scope = only("south")}}) {
      EXPECT_EQ(pg_read([&](auto& tx) { return pg::notifications(tx, q); }), sqlite_->notifications(q)) << when;
    }
    for (const auto& scope : {ClinicScope{}, only("south")}) {
      EXPECT_EQ(pg_read([&](auto& tx) { return pg::notification_counts(tx, scope); }),
                sqlite_->notification_counts(scope))
          << when;
    }
    // Rows due at the same time may come in another order (see due_notifications): compared as sets.
    auto due = pg_read([](auto& tx) { return pg::due_notifications(tx, kShard, at(60), 10); });
    auto due_in_sqlite = sqlite_->due_notifications(at(60), 10);
    for (auto* rows : {&due, &due_in_sqlite}) {
      std::sort(rows->begin(), rows->end(), [](const auto& a, const auto& b) {
        return std::tie(a.row.due_at, a.row.id) < std::tie(b.row.due_at, b.row.id);
      });
    }
    EXPECT_EQ(as_json(due), as_json(due_in_sqlite)) << when;
    const auto earliest = pg_read([](auto& tx) { return pg::due_notifications(tx, kShard, at(60), 1); });
    ASSERT_EQ(earliest.size(), std::min<std::size_t>(due.size(), 1)) << when;
    if (!due.empty()) {
      EXPECT_EQ(earliest[0].row.due_at, due[0].row.due_at) << when;
    }
    EXPECT_EQ(pg_read([](auto& tx) { return pg::next_notification_due(tx, kShard); }), sqlite_->next_notification_due())
        << when;
    EXPECT_EQ(pg_read([](auto& tx) { return pg::disabled_receivers(tx); }), sqlite_->disabled_receivers()) << when;
  }

  void record(const std::vector<DeliveryAttempt>& attempts) {
    sqlite_->record_attempts(attempts);
    pg_write([&](pqxx::transaction_base& tx) { pg::record_attempts(tx, kShard, attempts); });
  }
};

TEST_F(PostgresOutbox, Lifecycle_IsTheSqliteBackEnds) {
  using Result = DeliveryAttempt::Result;
  Commit decided;
  auto timer = notification("t1", "a1", "repeat", at(0));
  timer.every = 15min;
  timer.until = at(120);
  decided.notifications = {
      notification("f1", "a1", "firing", at(0)),     timer,
      notification("d1", "a1", "escalation", at(0)), notification("m1", "a1", "firing", at(0), "am"),
      notification("r2", "a2", "repeat", at(15)),    notification("s1", "a3", "firing", at(1), "hook", "south")};
  store(decided);
  expect_same_outbox("decided");

  Commit acknowledged;
  acknowledged.cancellations = {{"a2", {"repeat"}, {}}, {"a1", {}, {"am"}}};
  store(acknowledged);
  expect_same_outbox("cancelled");

  record({attempt("f1", 0, Result::retry, at(0, 10000)), attempt("t1", 0, Result::delivered, at(15)),
          attempt("d1", 0, Result::dead), attempt("s1", 0, Result::delivered)});
  expect_same_outbox("attempted");
  record({attempt("t1", 0, Result::dead), attempt("m1", 0, Result::delivered)});  // late: history only
  expect_same_outbox("late attempts");
  const auto t1 = pg_read([](auto& tx) { return pg::notifications(tx, {.alert_id = "a1", .state = "pending"}); });
  const auto found = std::find_if(t1.begin(), t1.end(), [](const json& r) { return r.at("id") == "t1"; });
  ASSERT_NE(found, t1.end());
  EXPECT_EQ(found->at("round"), 1);
  EXPECT_EQ(found->at("history").size(), 2u);

  const auto buried_in_sqlite = sqlite_->disable_receiver("hook", at(2), "HTTP 410");
  std::vector<PendingNotification> buried;
  pg_write([&](pqxx::transaction_base& tx) { buried = pg::disable_receiver(tx, kShard, "hook", at(2), "HTTP 410"); });
  EXPECT_EQ(as_json(buried), as_json(buried_in_sqlite));
  EXPECT_EQ(buried.size(), 2u);  // f1 and t1: the others are done or cancelled
  expect_same_outbox("disabled");

  bool enabled = false;
  pg_write([&](pqxx::transaction_base& tx) { enabled = pg::enable_receiver(tx, "hook"); });
  EXPECT_TRUE(enabled);
  EXPECT_TRUE(sqlite_->enable_receiver("hook"));
  pg_write([&](pqxx::transaction_base& tx) { enabled = pg::enable_receiver(tx, "hook"); });
  EXPECT_FALSE(enabled);
  expect_same_outbox("enabled");
}

}  // namespace
}  // namespace sterifleet::store::testing
