// The notification outbox on PostgreSQL: rows inserted and cancelled in the commit of their alert's
// transition; attempts and receivers written in the transaction PostgresStore gives (serialised with its
// commits). The semantics are the SQLite back-end's (sqlite_outbox.cpp).
#include <algorithm>

#include "pg_reads.hpp"
#include "pg_select.hpp"

namespace sterifleet::store::postgresql {

using nlohmann::json;
using namespace columns;

namespace {

// One statement per cancellation: its kinds and receivers go as JSON arrays.
constexpr std::string_view kCancel =
    "UPDATE notifications SET state = 'cancelled' WHERE alert_id = $1 AND shard = $4 AND state = 'pending' "
    "AND (kind IN (SELECT json_array_elements_text($2::json)) OR receiver IN (SELECT "
    "json_array_elements_text($3::json)))";
constexpr std::string_view kInsert =
    "INSERT INTO notifications (id, shard, commit_seq, alert_id, clinic, receiver, kind, route, created_at, due_at, "
    "every_ms, until, notice, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'pending')";
constexpr std::string_view kPendingColumns =
    "id, alert_id, clinic, receiver, kind, route, created_at, due_at, every_ms, until, notice, round, attempts, "
    "first_failure";

// Only for a row of the writer's shard: another shard's history is its owner's to write.
constexpr std::string_view kAttemptInsert =
    "INSERT INTO notification_attempts (notification, round, at, result, status, answer, latency_ms) "
    "SELECT $1, $2, $3, $4, $5, $6, $7 FROM notifications WHERE id = $1 AND shard = $8";
// Each guarded by the round: a row cancelled or moved on since the dispatcher read it is left alone; and
// by the shard ($7 or $6), so a writer never moves another shard's row.
constexpr std::string_view kDelivered =
    "UPDATE notifications SET state = 'delivered', delivered_at = $1, last_attempt_at = $1, last_status = $2, "
    "last_answer = $3 WHERE id = $4 AND round = $5 AND state = 'pending' AND shard = $6";
constexpr std::string_view kRearmed =
    "UPDATE notifications SET round = round + 1, attempts = 0, first_failure = NULL, due_at = $6, "
    "delivered_at = $1, last_attempt_at = $1, last_status = $2, last_answer = $3 "
    "WHERE id = $4 AND round = $5 AND state = 'pending' AND shard = $7";
constexpr std::string_view kRetry =
    "UPDATE notifications SET attempts = attempts + 1, first_failure = coalesce(first_failure, $1), due_at = $6, "
    "last_attempt_at = $1, last_status = $2, last_answer = $3 WHERE id = $4 AND round = $5 AND state = 'pending' "
    "AND shard = $7";
constexpr std::string_view kDead =
    "UPDATE notifications SET state = 'dead', attempts = attempts + 1, last_attempt_at = $1, last_status = $2, "
    "last_answer = $3 WHERE id = $4 AND round = $5 AND state = 'pending' AND shard = $6";

// The history of each row comes with it, aggregated in the same statement.
constexpr std::string_view kListing =
    "SELECT id, alert_id, clinic, receiver, kind, route, created_at, due_at, state, round, attempts, "
    "last_attempt_at, last_status, last_answer, delivered_at, notice, "
    "(SELECT coalesce(json_agg(json_build_array(a.round, a.at, a.result, a.status, a.answer, a.latency_ms) "
    "ORDER BY a.id), '[]') FROM notification_attempts a WHERE a.notification = notifications.id) "
    "FROM notifications";

PendingNotification read_pending(const pqxx::row& r) {
  PendingNotification p;
  p.row.id = r[0].as<std::string>();
  p.row.alert_id = r[1].as<std::string>();
  p.row.clinic = r[2].as<std::string>();
  p.row.receiver = r[3].as<std::string>();
  p.row.kind = r[4].as<std::string>();
  p.row.route = r[5].as<std::string>();
  p.row.created_at = from_millis(int64(r[6]));
  p.row.due_at = from_millis(int64(r[7]));
  p.row.every = std::chrono::milliseconds(int64(r[8]));
  if (!r[9].is_null()) p.row.until = from_millis(int64(r[9]));
  p.row.notice = r[10].as<std::string>();
  p.round = int64(r[11]);
  p.attempts = int64(r[12]);
  if (!r[13].is_null()) p.first_failure = from_millis(int64(r[13]));
  return p;
}

json history_of(std::string_view aggregated, std::string_view id) {
  const auto attempts = parse_row(aggregated);
  if (!attempts.is_array()) throw StoreError("the attempts of notification " + std::string(id) + " do not read");
  auto out = json::array();
  for (const auto& a : attempts) {
    out.push_back({{"round", a.at(0)},
                   {"at", protocol::format_timestamp(from_millis(a.at(1).get<std::int64_t>()))},
                   {"result", a.at(2)},
                   {"status", a.at(3)},
                   {"answer", a.at(4)},
                   {"latency_ms", a.at(5)}});
  }
  return out;
}

}  // namespace

void write_outbox(pqxx::transaction_base& tx, int shard, std::int64_t commit_seq,
                  std::span<const OutboxCancel> cancellations, std::span<const OutboxRow> notifications) {
  for (const auto& cancel : cancellations) {
    tx.exec_params(std::string(kCancel), cancel.alert_id, json(cancel.kinds).dump(), json(cancel.receivers).dump(),
                   shard);
  }
  for (const auto& row : notifications) {
    const auto until = row.until ? std::optional(std::to_string(millis(*row.until))) : std::nullopt;
    tx.exec_params(std::string(kInsert), row.id, shard, commit_seq, row.alert_id, row.clinic, row.receiver, row.kind,
                   row.route, millis(row.created_at), millis(row.due_at), std::int64_t{row.every.count()},
                   or_null(until), row.notice);
  }
}

// Rows due at the same time go by id: SQLite's come in the order they were inserted, which PostgreSQL
// does not keep; either is earliest first.
std::vector<PendingNotification> due_notifications(pqxx::transaction_base& tx, int shard, Timestamp until,
                                                   std::size_t limit) {
  const auto result = tx.exec_params("SELECT " + std::string(kPendingColumns) +
                                         " FROM notifications WHERE shard = $3 AND state = 'pending' AND due_at <= $1 "
                                         "ORDER BY due_at, id LIMIT $2",
                                     millis(until), static_cast<std::int64_t>(limit), shard);
  std::vector<PendingNotification> out;
  out.reserve(result.size());
  for (const auto& r : result) out.push_back(read_pending(r));
  return out;
}

std::optional<Timestamp> next_notification_due(pqxx::transaction_base& tx, int shard) {
  const auto result =
      tx.exec_params("SELECT min(due_at) FROM notifications WHERE shard = $1 AND state = 'pending'", shard);
  if (result[0][0].is_null()) return std::nullopt;
  return from_millis(int64(result[0][0]));
}

void record_attempts(pqxx::transaction_base& tx, int shard, std::span<const DeliveryAttempt> attempts) {
  for (const auto& a : attempts) {
    const auto at = millis(a.at);
    const std::int64_t status = a.status;
    switch (a.result) {
      case DeliveryAttempt::Result::delivered:
        if (a.next_due) {
          tx.exec_params(std::string(kRearmed), at, status, a.answer, a.id, a.round, millis(*a.next_due), shard);
        } else {
          tx.exec_params(std::string(kDelivered), at, status, a.answer, a.id, a.round, shard);
        }
        break;
      case DeliveryAttempt::Result::retry:
        tx.exec_params(std::string(kRetry), at, status, a.answer, a.id, a.round, millis(a.next_due.value_or(a.at)),
                       shard);
        break;
      case DeliveryAttempt::Result::dead:
        tx.exec_params(std::string(kDead), at, status, a.answer, a.id, a.round, shard);
        break;
    }
    tx.exec_params(std::string(kAttemptInsert), a.id, a.round, at, std::string(to_string(a.result)), status, a.answer,
                   std::int64_t{a.latency.count()}, shard);
  }
}

std::vector<PendingNotification> disable_receiver(pqxx::transaction_base& tx, int shard, const std::string& receiver,
                                                  Timestamp at, const std::string& answer) {
  tx.exec_params(
      "INSERT INTO disabled_receivers (name, at, answer) VALUES ($1, $2, $3) "
      "ON CONFLICT (name) DO UPDATE SET at = excluded.at, answer = excluded.answer",
      receiver, millis(at), answer);
  // The columns returned are none that the update changes: the rows as they were.
  const auto result = tx.exec_params(
      "UPDATE notifications SET state = 'dead', last_attempt_at = $1, last_answer = $2 "
      "WHERE receiver = $3 AND shard = $4 AND state = 'pending' RETURNING " +
          std::string(kPendingColumns),
      millis(at), answer, receiver, shard);
  std::vector<PendingNotification> buried;
  buried.reserve(result.size());
  for (const auto& r : result) buried.push_back(read_pending(r));
  std::sort(buried.begin(), buried.end(), [](const auto& a, const auto& b) { return a.row.id < b.row.id; });
  return buried;
}

bool enable_receiver(pqxx::transaction_base& tx, const std::string& receiver) {
  return tx.exec_params("DELETE FROM disabled_receivers WHERE name = $1", receiver).affected_rows() > 0;
}

std::map<std::string, json> disabled_receivers(pqxx::transaction_base& tx) {
  std::map<std::string, json> out;
  for (const auto& r : tx.exec("SELECT name, at, answer FROM disabled_receivers ORDER BY name")) {
    out[r[0].as<std::string>()] = {{"at", time_text(r[1])}, {"answer", view(r[2])}};
  }
  return out;
}

std::vector<json> notifications(pqxx::transaction_base& tx, const NotificationQuery& q) {
  Select select{std::string(kListing)};
  select.where_if(q.alert_id, "alert_id = ?")
      .where_if(q.clinic, "clinic = ?")
      .where_in(q.scope, "clinic")
      .where_if(q.receiver, "receiver = ?")
      .where_if(q.state, "state = ?");
  const auto limit = std::clamp<std::size_t>(q.limit, 1, max_page_limit);
  std::vector<json> rows;
  for (const auto& r : select.run(tx, "ORDER BY created_at DESC, id LIMIT " + std::to_string(limit))) {
    rows.push_back({{"id", view(r[0])},
                    {"alert_id", view(r[1])},
                    {"clinic", view(r[2])},
                    {"receiver", view(r[3])},
                    {"kind", view(r[4])},
                    {"route", view(r[5])},
                    {"created_at", time_text(r[6])},
                    {"due_at", time_text(r[7])},
                    {"state", view(r[8])},
                    {"round", int64(r[9])},
                    {"attempts", int64(r[10])},
                    {"last_attempt_at", time_or_null(r[11])},
                    {"last_status", int_or_null(r[12])},
                    {"last_answer", text_or_null(r[13])},
                    {"delivered_at", time_or_null(r[14])},
                    {"notice", parse_row(view(r[15]))},
                    {"history", history_of(view(r[16]), view(r[0]))}});
  }
  return rows;
}

std::map<std::string, std::int64_t> notification_counts(pqxx::transaction_base& tx, const ClinicScope& scope) {
  Select select("SELECT state, count(*) FROM notifications");
  select.where_in(scope, "clinic");
  std::map<std::string, std::int64_t> out{{"pending", 0}, {"delivered", 0}, {"dead", 0}, {"cancelled", 0}};
  for (const auto& r : select.run(tx, "GROUP BY state")) out[r[0].as<std::string>()] = int64(r[1]);
  return out;
}

}  // namespace sterifleet::store::postgresql
