// The PostgreSQL store's queries: filters, keyset pagination and scans, each in the transaction its
// caller opened. The rows, their order and the cursors are the SQLite back-end's (sqlite_queries.cpp):
// the same JSON text is stored, and the text columns that order a page collate as "C" (schema_v1.sql).
// libpqxx's exceptions pass through: PostgresStore, which knows the connection, turns them into StoreError.
#include "pg_reads.hpp"

#include <algorithm>

#include "../src/cursor.hpp"
#include "pg_select.hpp"

namespace sterifleet::store::postgresql {

using nlohmann::json;
using namespace columns;

namespace {

enum class Direction { ascending, descending };

// Where a page starts, given the query's bound on the ordering's time column (`from` ascending, `to`
// newest first) and the cursor: only the tighter one is written, which selects the same rows as both
// and gives the index scan one place to start.
void where_page_starts(Select& select, const std::optional<Timestamp>& bound, std::string_view bound_condition,
                       const std::string& after, std::size_t cursor_texts, std::string_view cursor_condition,
                       Direction direction) {
  if (!after.empty()) {
    auto key = detail::decode_cursor(after, cursor_texts);
    const bool cursor_is_tighter =
        !bound || (direction == Direction::ascending ? key.number >= millis(*bound) : key.number < millis(*bound));
    if (cursor_is_tighter) {
      std::vector<std::string> values{std::to_string(key.number)};
      for (auto& text : key.texts) values.push_back(std::move(text));
      select.where(cursor_condition, std::move(values));
      return;
    }
  }
  select.where_if(bound, bound_condition);
}

std::optional<json> single_row(pqxx::transaction_base& tx, const std::string& sql, const std::string& key) {
  const auto result = tx.exec_params(sql, key);
  if (result.empty()) return std::nullopt;
  return parse_row(view(result[0][0]));
}

Select sessions_matching(std::string columns, const std::optional<std::string>& clinic,
                         const std::optional<std::string>& pen, const ClinicScope& scope = {}) {
  Select select("SELECT " + std::move(columns) + " FROM sessions");
  select.where_if(clinic, "clinic = ?").where_if(pen, "pen = ?").where_in(scope, "clinic");
  return select;
}

Select cycles_matching(std::string columns, const std::optional<std::string>& clinic,
                       const std::optional<std::string>& sterilizer, const ClinicScope& scope = {}) {
  Select select("SELECT " + std::move(columns) + " FROM cycles");
  select.where_if(clinic, "clinic = ?").where_if(sterilizer, "sterilizer = ?").where_in(scope, "clinic");
  return select;
}

constexpr std::string_view kSessionOrder = "started, pen, session";
constexpr std::string_view kCycleOrder = "ts, key";

}  // namespace

Rows alerts(pqxx::transaction_base& tx, const AlertQuery& q) {
  Select select("SELECT opened_at, id, row FROM alerts");
  select.where_if(q.state, "state = ?")
      .where_if(q.rule, "rule = ?")
      .where_if(q.clinic, "clinic = ?")
      .where_if(q.device, "device = ?")
      .where_in(q.scope, "clinic")
      .where_if(q.from, "opened_at >= ?");
  where_page_starts(select, q.to, "opened_at < ?", q.page.after, 1, "(opened_at, id) < (?, ?)", Direction::descending);
  return select.page(
      tx, "opened_at DESC, id DESC", detail::page_limit(q.page.limit),
      [](const pqxx::row& r) { return parse_row(view(r[2])); },
      [](const pqxx::row& r) { return detail::encode_cursor(int64(r[0]), {view(r[1])}); });
}

std::optional<json> alert(pqxx::transaction_base& tx, const std::string& id) {
  return single_row(tx, "SELECT row FROM alerts WHERE id = $1", id);
}

Rows sessions(pqxx::transaction_base& tx, const RecordQuery& q) {
  auto select = sessions_matching("started, pen, session, row", q.clinic, q.device, q.scope);
  select.where_if(q.to, "started < ?");
  where_page_starts(select, q.from, "started >= ?", q.page.after, 2, "(started, pen, session) > (?, ?, ?)",
                    Direction::ascending);
  return select.page(
      tx, kSessionOrder, detail::page_limit(q.page.limit), [](const pqxx::row& r) { return parse_row(view(r[3])); },
      [](const pqxx::row& r) {
        return detail::encode_cursor(int64(r[0]), {view(r[1]), view(r[2])});
      });
}

void scan_sessions(pqxx::transaction_base& tx, const RecordFilter& f, const RowVisitor& visit) {
  auto select = sessions_matching("row", f.clinic, f.device);
  select.where_if(f.from, "started >= ?").where_if(f.to, "started < ?");
  select.scan(tx, kSessionOrder, [&](const pqxx::row& r) { visit(view(r[0])); });
}

Rows cycles(pqxx::transaction_base& tx, const RecordQuery& q) {
  auto select = cycles_matching("ts, key, row", q.clinic, q.device, q.scope);
  select.where_if(q.to, "ts < ?");
  where_page_starts(select, q.from, "ts >= ?", q.page.after, 1, "(ts, key) > (?, ?)", Direction::ascending);
  return select.page(
      tx, kCycleOrder, detail::page_limit(q.page.limit), [](const pqxx::row& r) { return parse_row(view(r[2])); },
      [](const pqxx::row& r) { return detail::encode_cursor(int64(r[0]), {view(r[1])}); });
}

void scan_cycles(pqxx::transaction_base& tx, const RecordFilter& f, const RowVisitor& visit) {
  auto select = cycles_matching("row", f.clinic, f.device);
  select.where_if(f.from, "ts >= ?").where_if(f.to, "ts < ?");
  select.scan(tx, kCycleOrder, [&](const pqxx::row& r) { visit(view(r[0])); });
}

std::optional<json> cycle(pqxx::transaction_base& tx, const std::string& key) {
  return single_row(tx, "SELECT row FROM cycles WHERE key = $1", key);
}

namespace {

// Newest first by storage order, for the history tables whose row number is their cursor.
template <class MakeRow>
Rows newest_first(pqxx::transaction_base& tx, Select& select, const std::string& id_column, const Page& page,
                  MakeRow make_row) {
  if (!page.after.empty()) {
    select.where(id_column + " < ?", {std::to_string(detail::decode_cursor(page.after, 0).number)});
  }
  return select.page(tx, id_column + " DESC", detail::page_limit(page.limit), make_row,
                     [](const pqxx::row& r) { return detail::encode_cursor(int64(r[0])); });
}

json message_row(const pqxx::row& r) {
  const bool sequenced = !r[8].is_null();
  const auto seq = sequenced ? static_cast<std::uint64_t>(int64(r[8])) : 0;
  const auto device = view(r[6]);
  const auto boot = int64(r[7]);
  return json{{"id", int64(r[0])},
              {"commit", int64(r[1])},
              {"received_at", time_text(r[2])},
              {"topic", view(r[3])},
              {"payload", view(r[4])},
              {"clinic", view(r[5])},
              {"device", device},
              {"boot", boot},
              {"seq", sequenced ? json(seq) : json(nullptr)},
              {"ts", time_or_null(r[9])},
              {"type", view(r[10])},
              {"key", sequenced ? json(std::string(device) + "/" + std::to_string(boot) + "/" + std::to_string(seq))
                                : json(nullptr)}};
}

constexpr std::string_view kQuarantineColumns =
    "SELECT id, commit_seq, received_at, topic, payload, reason, detail, clinic, device FROM quarantine";

json quarantine_row(const pqxx::row& r) {
  json row{{"id", int64(r[0])},
           {"commit", int64(r[1])},
           {"received_at", time_text(r[2])},
           {"topic", view(r[3])},
           {"reason", view(r[5])},
           {"detail", view(r[6])},
           {"clinic", text_or_null(r[7])},
           {"device", text_or_null(r[8])}};
  const pqxx::binarystring payload(r[4]);
  put_payload(row, std::string_view(payload.get(), payload.size()));
  return row;
}

}  // namespace

// The device filter needs no detour here, unlike SQLite's: messages_device (device, id) serves it.
Rows messages(pqxx::transaction_base& tx, const RecordQuery& q) {
  Select select(
      "SELECT id, commit_seq, received_at, topic, payload, clinic, device, boot, seq, ts, type FROM messages");
  select.where_if(q.device, "device = ?")
      .where_if(q.clinic, "clinic = ?")
      .where_in(q.scope, "clinic")
      .where_if(q.from, "received_at >= ?")
      .where_if(q.to, "received_at < ?");
  return newest_first(tx, select, "id", q.page, message_row);
}

Rows quarantine(pqxx::transaction_base& tx, const RecordQuery& q) {
  Select select{std::string(kQuarantineColumns)};
  select.where_if(q.clinic, "clinic = ?")
      .where_in(q.scope, "clinic")
      .where_if(q.device, "device = ?")
      .where_if(q.from, "received_at >= ?")
      .where_if(q.to, "received_at < ?");
  return newest_first(tx, select, "id", q.page, quarantine_row);
}

std::optional<json> quarantined(pqxx::transaction_base& tx, std::int64_t id) {
  const auto result = tx.exec_params(std::string(kQuarantineColumns) + " WHERE id = $1", id);
  if (result.empty()) return std::nullopt;
  return quarantine_row(result[0]);
}

std::map<std::string, std::int64_t> quarantine_counts(pqxx::transaction_base& tx) {
  std::map<std::string, std::int64_t> counts;
  for (const auto& r : tx.exec("SELECT reason, count(*) FROM quarantine GROUP BY reason")) {
    counts.emplace(r[0].as<std::string>(), int64(r[1]));
  }
  return counts;
}

Rows commands(pqxx::transaction_base& tx, const RecordQuery& q) {
  Select select("SELECT seq, id, issued_at, clinic, device, topic, payload FROM commands");
  select.where_if(q.clinic, "clinic = ?")
      .where_in(q.scope, "clinic")
      .where_if(q.device, "device = ?")
      .where_if(q.from, "issued_at >= ?")
      .where_if(q.to, "issued_at < ?");
  return newest_first(tx, select, "seq", q.page, [](const pqxx::row& r) {
    return json{{"id", view(r[1])},     {"issued_at", time_text(r[2])}, {"clinic", view(r[3])},
                {"device", view(r[4])}, {"topic", view(r[5])},          {"payload", view(r[6])}};
  });
}

}  // namespace sterifleet::store::postgresql
