// The notification outbox on SQLite: rows inserted and cancelled in the commit of their alert's
// transition; attempts recorded by the dispatcher in transactions of their own, on the writing
// connection, so they take turns with commits.
#include <string>

#include "select.hpp"
#include "writer.hpp"

namespace sterifleet::store::sqlite {

namespace {

using nlohmann::json;

constexpr std::string_view kInsert =
    "INSERT INTO notifications (id, commit_seq, alert_id, clinic, receiver, kind, route, created_at, due_at, "
    "every_ms, until, notice, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')";
constexpr std::string_view kCancelKind =
    "UPDATE notifications SET state = 'cancelled' WHERE alert_id = ? AND state = 'pending' AND kind = ?";
constexpr std::string_view kCancelReceiver =
    "UPDATE notifications SET state = 'cancelled' WHERE alert_id = ? AND state = 'pending' AND receiver = ?";
constexpr std::string_view kPendingColumns =
    "SELECT id, alert_id, clinic, receiver, kind, route, created_at, due_at, every_ms, until, notice, round, "
    "attempts, first_failure FROM notifications";

constexpr std::string_view kAttemptInsert =
    "INSERT INTO notification_attempts (notification, round, at, result, status, answer, latency_ms) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
// Each guarded by the round: a row cancelled or moved on since the dispatcher read it is left alone.
constexpr std::string_view kDelivered =
    "UPDATE notifications SET state = 'delivered', delivered_at = ?1, last_attempt_at = ?1, last_status = ?2, "
    "last_answer = ?3 WHERE id = ?4 AND round = ?5 AND state = 'pending'";
constexpr std::string_view kRearmed =
    "UPDATE notifications SET round = round + 1, attempts = 0, first_failure = NULL, due_at = ?6, "
    "delivered_at = ?1, last_attempt_at = ?1, last_status = ?2, last_answer = ?3 "
    "WHERE id = ?4 AND round = ?5 AND state = 'pending'";
constexpr std::string_view kRetry =
    "UPDATE notifications SET attempts = attempts + 1, first_failure = coalesce(first_failure, ?1), due_at = ?6, "
    "last_attempt_at = ?1, last_status = ?2, last_answer = ?3 WHERE id = ?4 AND round = ?5 AND state = 'pending'";
constexpr std::string_view kDead =
    "UPDATE notifications SET state = 'dead', attempts = attempts + 1, last_attempt_at = ?1, last_status = ?2, "
    "last_answer = ?3 WHERE id = ?4 AND round = ?5 AND state = 'pending'";

PendingNotification read_pending(const Statement& s) {
  PendingNotification p;
  p.row.id = s.string(0);
  p.row.alert_id = s.string(1);
  p.row.clinic = s.string(2);
  p.row.receiver = s.string(3);
  p.row.kind = s.string(4);
  p.row.route = s.string(5);
  p.row.created_at = from_millis(s.int64(6));
  p.row.due_at = from_millis(s.int64(7));
  p.row.every = std::chrono::milliseconds(s.int64(8));
  if (!s.is_null(9)) p.row.until = from_millis(s.int64(9));
  p.row.notice = s.string(10);
  p.round = s.int64(11);
  p.attempts = s.int64(12);
  if (!s.is_null(13)) p.first_failure = from_millis(s.int64(13));
  return p;
}

}  // namespace

void SqliteStore::write_outbox(Connection& db, std::int64_t n, const Commit& commit) {
  for (const auto& cancel : commit.cancellations) {
    for (const auto& kind : cancel.kinds) {
      auto& s = db.cached(std::string(kCancelKind));
      s.bind(1, cancel.alert_id);
      s.bind(2, kind);
      s.run("cancelling notifications of alert " + cancel.alert_id);
    }
    for (const auto& receiver : cancel.receivers) {
      auto& s = db.cached(std::string(kCancelReceiver));
      s.bind(1, cancel.alert_id);
      s.bind(2, receiver);
      s.run("cancelling notifications of alert " + cancel.alert_id);
    }
  }
  for (const auto& row : commit.notifications) {
    auto& s = db.cached(std::string(kInsert));
    s.bind(1, row.id);
    s.bind(2, n);
    s.bind(3, row.alert_id);
    s.bind(4, row.clinic);
    s.bind(5, row.receiver);
    s.bind(6, row.kind);
    s.bind(7, row.route);
    s.bind(8, millis(row.created_at));
    s.bind(9, millis(row.due_at));
    s.bind(10, std::int64_t{row.every.count()});
    s.bind(11, row.until ? std::optional<std::int64_t>(millis(*row.until)) : std::nullopt);
    s.bind(12, row.notice);
    s.run("commit " + std::to_string(n) + ": storing notification " + row.id);
  }
}

std::vector<PendingNotification> SqliteStore::due_notifications(Timestamp until, std::size_t limit) {
  auto db = readers_.acquire();
  auto& s =
      db->cached(std::string(kPendingColumns) + " WHERE state = 'pending' AND due_at <= ? ORDER BY due_at LIMIT ?");
  Reset reset(s);
  s.bind(1, millis(until));
  s.bind(2, static_cast<std::int64_t>(limit));
  std::vector<PendingNotification> out;
  while (s.step("reading due notifications")) out.push_back(read_pending(s));
  return out;
}

std::optional<Timestamp> SqliteStore::next_notification_due() {
  auto db = readers_.acquire();
  auto& s = db->cached("SELECT min(due_at) FROM notifications WHERE state = 'pending'");
  Reset reset(s);
  s.step("reading the next notification's due time");
  if (s.is_null(0)) return std::nullopt;
  return from_millis(s.int64(0));
}

void SqliteStore::record_attempts(std::span<const DeliveryAttempt> attempts) {
  if (attempts.empty()) return;
  std::lock_guard lock(write_mutex_);
  auto& w = writer();
  Transaction transaction(w.db, Transaction::Kind::write);
  for (const auto& a : attempts) {
    const bool rearm = a.result == DeliveryAttempt::Result::delivered && a.next_due;
    std::string_view sql = kRetry;
    if (a.result == DeliveryAttempt::Result::dead) sql = kDead;
    if (a.result == DeliveryAttempt::Result::delivered) sql = rearm ? kRearmed : kDelivered;
    auto& update = w.db.cached(std::string(sql));
    update.bind(1, millis(a.at));
    update.bind(2, std::int64_t{a.status});
    update.bind(3, a.answer);
    update.bind(4, a.id);
    update.bind(5, a.round);
    if (a.result == DeliveryAttempt::Result::retry || rearm) update.bind(6, millis(a.next_due.value_or(a.at)));
    update.run("recording an attempt on notification " + a.id);
    auto& history = w.db.cached(std::string(kAttemptInsert));
    history.bind(1, a.id);
    history.bind(2, a.round);
    history.bind(3, millis(a.at));
    const std::string result(to_string(a.result));
    history.bind(4, result);
    history.bind(5, std::int64_t{a.status});
    history.bind(6, a.answer);
    history.bind(7, std::int64_t{a.latency.count()});
    history.run("recording an attempt on notification " + a.id);
  }
  transaction.commit();
}

std::vector<PendingNotification> SqliteStore::disable_receiver(const std::string& receiver, Timestamp at,
                                                               const std::string& answer) {
  std::lock_guard lock(write_mutex_);
  auto& w = writer();
  Transaction transaction(w.db, Transaction::Kind::write);
  auto& remember = w.db.cached(
      "INSERT INTO disabled_receivers (name, at, answer) VALUES (?, ?, ?) "
      "ON CONFLICT (name) DO UPDATE SET at = excluded.at, answer = excluded.answer");
  remember.bind(1, receiver);
  remember.bind(2, millis(at));
  remember.bind(3, answer);
  remember.run("disabling receiver " + receiver);
  std::vector<PendingNotification> buried;
  {
    auto& pending = w.db.cached(std::string(kPendingColumns) + " WHERE receiver = ? AND state = 'pending' ORDER BY id");
    Reset reset(pending);
    pending.bind(1, receiver);
    while (pending.step("reading the notifications of receiver " + receiver)) buried.push_back(read_pending(pending));
  }
  auto& bury = w.db.cached(
      "UPDATE notifications SET state = 'dead', last_attempt_at = ?, last_answer = ? "
      "WHERE receiver = ? AND state = 'pending'");
  bury.bind(1, millis(at));
  bury.bind(2, answer);
  bury.bind(3, receiver);
  bury.run("giving up the notifications of receiver " + receiver);
  transaction.commit();
  return buried;
}

bool SqliteStore::enable_receiver(const std::string& receiver) {
  std::lock_guard lock(write_mutex_);
  auto& w = writer();
  auto& s = w.db.cached("DELETE FROM disabled_receivers WHERE name = ?");
  s.bind(1, receiver);
  s.run("enabling receiver " + receiver);
  return sqlite3_changes(w.db.get()) > 0;
}

std::map<std::string, json> SqliteStore::disabled_receivers() {
  auto db = readers_.acquire();
  auto& s = db->cached("SELECT name, at, answer FROM disabled_receivers ORDER BY name");
  Reset reset(s);
  std::map<std::string, json> out;
  while (s.step("reading disabled receivers")) out[s.string(0)] = {{"at", time_text(s, 1)}, {"answer", s.text(2)}};
  return out;
}

std::vector<json> SqliteStore::notifications(const NotificationQuery& q) {
  Select select(
      "SELECT id, alert_id, clinic, receiver, kind, route, created_at, due_at, state, round, attempts, "
      "last_attempt_at, last_status, last_answer, delivered_at, notice FROM notifications");
  select.where_if(q.alert_id, "alert_id = ?")
      .where_if(q.clinic, "clinic = ?")
      .where_in(q.scope, "clinic")
      .where_if(q.receiver, "receiver = ?")
      .where_if(q.state, "state = ?");
  auto db = readers_.acquire();
  std::vector<json> rows;
  select.each(*db, "created_at DESC, id LIMIT " + std::to_string(std::clamp<std::size_t>(q.limit, 1, max_page_limit)),
              [&](const Statement& s) {
                rows.push_back({{"id", s.text(0)},
                                {"alert_id", s.text(1)},
                                {"clinic", s.text(2)},
                                {"receiver", s.text(3)},
                                {"kind", s.text(4)},
                                {"route", s.text(5)},
                                {"created_at", time_text(s, 6)},
                                {"due_at", time_text(s, 7)},
                                {"state", s.text(8)},
                                {"round", s.int64(9)},
                                {"attempts", s.int64(10)},
                                {"last_attempt_at", time_or_null(s, 11)},
                                {"last_status", s.is_null(12) ? json(nullptr) : json(s.int64(12))},
                                {"last_answer", s.is_null(13) ? json(nullptr) : json(s.text(13))},
                                {"delivered_at", time_or_null(s, 14)},
                                {"notice", parse_row(s.text(15))}});
              });
  auto& history = db->cached(
      "SELECT round, at, result, status, answer, latency_ms FROM notification_attempts WHERE notification = ? "
      "ORDER BY id");
  for (auto& row : rows) {
    const auto id = row["id"].get<std::string>();
    Reset reset(history);
    history.bind(1, id);
    auto& out = row["history"] = json::array();
    while (history.step("reading a notification's attempts")) {
      out.push_back({{"round", history.int64(0)},
                     {"at", time_text(history, 1)},
                     {"result", history.text(2)},
                     {"status", history.int64(3)},
                     {"answer", history.text(4)},
                     {"latency_ms", history.int64(5)}});
    }
  }
  return rows;
}

std::map<std::string, std::int64_t> SqliteStore::notification_counts(const ClinicScope& scope) {
  auto db = readers_.acquire();
  auto& s = db->cached(scope.all() ? "SELECT state, count(*) FROM notifications GROUP BY state"
                                   : "SELECT state, count(*) FROM notifications "
                                     "WHERE clinic IN (SELECT value FROM json_each(?)) GROUP BY state");
  Reset reset(s);
  const auto clinics = scope.to_json().dump();
  if (!scope.all()) s.bind(1, clinics);
  std::map<std::string, std::int64_t> out{{"pending", 0}, {"delivered", 0}, {"dead", 0}, {"cancelled", 0}};
  while (s.step("counting notifications")) out[s.string(0)] = s.int64(1);
  return out;
}

}  // namespace sterifleet::store::sqlite
