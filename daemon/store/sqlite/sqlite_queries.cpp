// The SQLite store's queries: filters, keyset pagination, tokens and statistics. Every one runs on
// a pooled reading connection, so none waits for a commit.
#include <filesystem>
#include <limits>
#include <set>

#include "../src/cursor.hpp"
#include "select.hpp"

namespace sterifleet::store::sqlite {

using nlohmann::json;

namespace {

std::optional<json> single_row(Connection& db, const std::string& sql, const std::string& key) {
  auto& s = db.cached(sql);
  Reset reset(s);
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return parse_row(s.text(0));
}

TokenRecord token_from(const Statement& s) {
  TokenRecord token{s.string(0), s.string(1), s.string(2), from_millis(s.int64(3)), s.int64(4) != 0, {}};
  if (s.is_null(5)) return token;
  const auto clinics = parse_row(s.text(5));
  std::set<std::string, std::less<>> only;
  if (clinics.is_array()) {
    for (const auto& clinic : clinics) {
      if (clinic.is_string()) only.insert(clinic.get<std::string>());
    }
  }
  // A list that does not read as clinics would widen the token to every clinic if taken as empty.
  if (only.empty() || only.size() != clinics.size()) {
    throw StoreError("token " + token.id + " has clinics that are not a list of clinic names: " + s.string(5));
  }
  token.clinics = ClinicScope(std::move(only));
  return token;
}

constexpr const char* kTokenColumns = "SELECT id, name, role, created_at, revoked, clinics FROM tokens";

}  // namespace

// --- queries ---

namespace {

enum class Direction { ascending, descending };

// Where a page starts, given the query's bound on the ordering's time column (`from` ascending, `to`
// newest first) and the cursor. SQLite seeks on one of them, and given both it picks the bound: every
// page would walk again the rows before it. So only the tighter one is written; either alone selects
// the same rows as both, also for a cursor from outside the bounds.
void where_page_starts(Select& select, const std::optional<Timestamp>& bound, std::string_view bound_condition,
                       const std::string& after, std::size_t cursor_texts, std::string_view cursor_condition,
                       Direction direction) {
  if (!after.empty()) {
    auto key = detail::decode_cursor(after, cursor_texts);
    const bool cursor_is_tighter =
        !bound || (direction == Direction::ascending ? key.number >= millis(*bound) : key.number < millis(*bound));
    if (cursor_is_tighter) {
      std::vector<Select::Value> values{key.number};
      for (auto& text : key.texts) values.emplace_back(std::move(text));
      select.where(cursor_condition, std::move(values));
      return;
    }
  }
  select.where_if(bound, bound_condition);
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

Rows SqliteStore::alerts(const AlertQuery& q) {
  Select select("SELECT opened_at, id, row FROM alerts");
  select.where_if(q.state, "state = ?")
      .where_if(q.rule, "rule = ?")
      .where_if(q.clinic, "clinic = ?")
      .where_if(q.device, "device = ?")
      .where_in(q.scope, "clinic")
      .where_if(q.from, "opened_at >= ?");
  where_page_starts(select, q.to, "opened_at < ?", q.page.after, 1, "(opened_at, id) < (?, ?)", Direction::descending);
  auto db = readers_.acquire();
  return select.page(
      *db, "opened_at DESC, id DESC", detail::page_limit(q.page.limit),
      [](const Statement& s) { return parse_row(s.text(2)); },
      [](const Statement& s) { return detail::encode_cursor(s.int64(0), {s.text(1)}); });
}

std::optional<json> SqliteStore::alert(const std::string& id) {
  auto db = readers_.acquire();
  return single_row(*db, "SELECT row FROM alerts WHERE id = ?", id);
}

Rows SqliteStore::sessions(const RecordQuery& q) {
  auto select = sessions_matching("started, pen, session, row", q.clinic, q.device, q.scope);
  select.where_if(q.to, "started < ?");
  where_page_starts(select, q.from, "started >= ?", q.page.after, 2, "(started, pen, session) > (?, ?, ?)",
                    Direction::ascending);
  auto db = readers_.acquire();
  return select.page(
      *db, kSessionOrder, detail::page_limit(q.page.limit), [](const Statement& s) { return parse_row(s.text(3)); },
      [](const Statement& s) {
        return detail::encode_cursor(s.int64(0), {s.text(1), s.text(2)});
      });
}

void SqliteStore::scan_sessions(const RecordFilter& f, const RowVisitor& visit) {
  auto select = sessions_matching("row", f.clinic, f.device);
  select.where_if(f.from, "started >= ?").where_if(f.to, "started < ?");
  auto db = readers_.acquire();
  select.each(*db, kSessionOrder, [&](const Statement& s) { visit(s.text(0)); });
}

Rows SqliteStore::cycles(const RecordQuery& q) {
  auto select = cycles_matching("ts, key, row", q.clinic, q.device, q.scope);
  select.where_if(q.to, "ts < ?");
  where_page_starts(select, q.from, "ts >= ?", q.page.after, 1, "(ts, key) > (?, ?)", Direction::ascending);
  auto db = readers_.acquire();
  return select.page(
      *db, kCycleOrder, detail::page_limit(q.page.limit), [](const Statement& s) { return parse_row(s.text(2)); },
      [](const Statement& s) { return detail::encode_cursor(s.int64(0), {s.text(1)}); });
}

void SqliteStore::scan_cycles(const RecordFilter& f, const RowVisitor& visit) {
  auto select = cycles_matching("row", f.clinic, f.device);
  select.where_if(f.from, "ts >= ?").where_if(f.to, "ts < ?");
  auto db = readers_.acquire();
  select.each(*db, kCycleOrder, [&](const Statement& s) { visit(s.text(0)); });
}

std::optional<json> SqliteStore::cycle(const std::string& key) {
  auto db = readers_.acquire();
  return single_row(*db, "SELECT row FROM cycles WHERE key = ?", key);
}

namespace {

// Newest first by storage order, for the history tables whose row number is their cursor.
template <class MakeRow>
Rows newest_first(Connection& db, Select& select, const std::string& id_column, const Page& page, MakeRow make_row) {
  if (!page.after.empty()) select.where(id_column + " < ?", {detail::decode_cursor(page.after, 0).number});
  return select.page(db, id_column + " DESC", detail::page_limit(page.limit), make_row,
                     [](const Statement& s) { return detail::encode_cursor(s.int64(0)); });
}

json text_or_null(const Statement& s, int column) { return s.is_null(column) ? json(nullptr) : json(s.text(column)); }

}  // namespace

namespace {

constexpr const char* kMessageColumns =
    "SELECT id, commit_seq, received_at, topic, payload, clinic, device, boot, seq, ts, type FROM messages";

json message_row(const Statement& s) {
  const bool sequenced = !s.is_null(8);
  const auto seq = static_cast<std::uint64_t>(s.int64(8));
  return json{
      {"id", s.int64(0)},
      {"commit", s.int64(1)},
      {"received_at", time_text(s, 2)},
      {"topic", s.text(3)},
      {"payload", s.text(4)},
      {"clinic", s.text(5)},
      {"device", s.text(6)},
      {"boot", s.int64(7)},
      {"seq", sequenced ? json(seq) : json(nullptr)},
      {"ts", time_or_null(s, 9)},
      {"type", s.text(10)},
      {"key", sequenced ? json(std::string(s.text(6)) + "/" + std::to_string(s.int64(7)) + "/" + std::to_string(seq))
                        : json(nullptr)}};
}

/// A device's message ids below `before`, newest first: those of the tail (past message_keys_position,
/// at most a key batch of rows to scan), then those of its message_keys rows, newest row first, a few
/// rows at a time. A page reads as many rows as it shows batches, however long the device's history.
/// Run it inside one read transaction, so that a batch indexed meanwhile is neither missed nor seen twice.
class DeviceIds {
 public:
  DeviceIds(Connection& db, std::string device, std::int64_t before)
      : db_(db),
        device_(std::move(device)),
        before_(before),
        older_than_(before),
        what_("listing the messages of " + device_) {}

  std::optional<std::int64_t> next() {
    while (pending_.empty()) {
      if (!refill()) return std::nullopt;
    }
    const auto id = pending_.back();
    pending_.pop_back();
    return id;
  }

 private:
  enum class Stage { tail, straddling, older, done };
  static constexpr std::size_t kRowsAtATime = 8;

  // pending_ is empty here, and filled in ascending order: next() takes from its back.
  bool refill() {
    switch (stage_) {
      case Stage::tail: {
        auto& s = db_.cached(
            "SELECT id FROM messages WHERE id > (SELECT indexed FROM message_keys_position) AND id < ?2 "
            "AND device = ?1 ORDER BY id");
        each_row(s, before_, [&](const Statement& row) { pending_.push_back(row.int64(0)); });
        stage_ = Stage::straddling;
        return true;
      }
      case Stage::straddling: {  // the one batch that may hold ids on both sides of `before`
        auto& s = db_.cached(
            "SELECT last_id, keys FROM message_keys WHERE device = ?1 AND last_id >= ?2 ORDER BY last_id LIMIT 1");
        each_row(s, before_, [&](const Statement& row) { add_ids(row.text(1)); });
        stage_ = Stage::older;
        return true;
      }
      case Stage::older: {
        auto& s = db_.cached(
            "SELECT last_id, keys FROM message_keys WHERE device = ?1 AND last_id < ?2 ORDER BY last_id DESC LIMIT " +
            std::to_string(kRowsAtATime));
        std::vector<std::string> batches;  // newest first
        each_row(s, older_than_, [&](const Statement& row) {
          older_than_ = row.int64(0);
          batches.emplace_back(row.text(1));
        });
        for (auto batch = batches.rbegin(); batch != batches.rend(); ++batch) add_ids(*batch);
        if (batches.size() < kRowsAtATime) stage_ = Stage::done;
        return true;
      }
      case Stage::done:
        return false;
    }
    return false;
  }

  template <class Visit>
  void each_row(Statement& s, std::int64_t bound, Visit visit) {
    Reset reset(s);
    s.bind(1, device_);
    s.bind(2, bound);
    while (s.step(what_)) visit(s);
  }

  /// A batch's keys, [[id, boot, seq], ...] in id order (SqliteStore::index_tail writes them).
  void add_ids(std::string_view keys) {
    const auto parsed = parse_row(keys);
    if (!parsed.is_array()) throw StoreError("message_keys of " + device_ + " holds no JSON array");
    for (const auto& key : parsed) {
      const auto id = key.at(0).get<std::int64_t>();
      if (id < before_) pending_.push_back(id);
    }
  }

  Connection& db_;
  std::string device_;
  std::int64_t before_;
  std::int64_t older_than_;  ///< the older stage's next rows are below this last_id
  std::string what_;         ///< for errors
  Stage stage_ = Stage::tail;
  std::vector<std::int64_t> pending_;
};

/// The filters of a message query besides its device.
void where_received(Select& select, const RecordQuery& q) {
  select.where_if(q.clinic, "clinic = ?")
      .where_in(q.scope, "clinic")
      .where_if(q.from, "received_at >= ?")
      .where_if(q.to, "received_at < ?");
}

}  // namespace

Rows SqliteStore::messages(const RecordQuery& q) {
  if (q.device) return device_messages(q);
  Select select(kMessageColumns);
  where_received(select, q);
  auto db = readers_.acquire();
  return newest_first(*db, select, "id", q.page, message_row);
}

// The ids come from DeviceIds a chunk at a time, and the rows with them; the chunk grows while the
// other filters leave rows out.
Rows SqliteStore::device_messages(const RecordQuery& q) {
  const auto limit = detail::page_limit(q.page.limit);
  const auto before =
      q.page.after.empty() ? std::numeric_limits<std::int64_t>::max() : detail::decode_cursor(q.page.after, 0).number;
  auto db = readers_.acquire();
  Transaction snapshot(*db, Transaction::Kind::read);
  DeviceIds ids(*db, *q.device, before);
  Rows out;
  std::string cursor;
  std::size_t chunk = limit + 1;
  for (bool more = true; more && out.next.empty();) {
    std::string list = "[";
    std::size_t listed = 0;
    for (; listed < chunk; ++listed) {
      const auto id = ids.next();
      if (!id) {
        more = false;
        break;
      }
      if (listed > 0) list += ',';
      list += std::to_string(*id);
    }
    if (listed == 0) break;
    list += ']';
    Select select(kMessageColumns);
    select.where("id IN (SELECT value FROM json_each(?))", {std::move(list)});
    where_received(select, q);
    select.each(*db, "id DESC", [&](const Statement& s) {
      if (!out.next.empty()) return;
      if (out.rows.size() == limit) {
        out.next = cursor;
        return;
      }
      out.rows.push_back(message_row(s));
      cursor = detail::encode_cursor(s.int64(0));
    });
    chunk = std::min<std::size_t>(chunk * 2, 4096);
  }
  return out;
}

namespace {

constexpr std::string_view kQuarantineColumns =
    "SELECT id, commit_seq, received_at, topic, payload, reason, detail, clinic, device FROM quarantine";

json quarantine_row(const Statement& s) {
  json row{
      {"id", s.int64(0)},    {"commit", s.int64(1)}, {"received_at", time_text(s, 2)}, {"topic", s.text(3)},
      {"reason", s.text(5)}, {"detail", s.text(6)},  {"clinic", text_or_null(s, 7)},   {"device", text_or_null(s, 8)}};
  put_payload(row, s.blob(4));
  return row;
}

}  // namespace

Rows SqliteStore::quarantine(const RecordQuery& q) {
  Select select{std::string(kQuarantineColumns)};
  select.where_if(q.clinic, "clinic = ?")
      .where_in(q.scope, "clinic")
      .where_if(q.device, "device = ?")
      .where_if(q.from, "received_at >= ?")
      .where_if(q.to, "received_at < ?");
  auto db = readers_.acquire();
  return newest_first(*db, select, "id", q.page, quarantine_row);
}

std::optional<json> SqliteStore::quarantined(std::int64_t id) {
  auto db = readers_.acquire();
  auto& s = db->cached(std::string(kQuarantineColumns) + " WHERE id = ?");
  Reset reset(s);
  s.bind(1, id);
  if (!s.step("reading a quarantined message")) return std::nullopt;
  return quarantine_row(s);
}

std::map<std::string, std::int64_t> SqliteStore::quarantine_counts() {
  auto db = readers_.acquire();
  auto& s = db->cached("SELECT reason, count(*) FROM quarantine GROUP BY reason");
  Reset reset(s);
  std::map<std::string, std::int64_t> counts;
  while (s.step("counting quarantined messages")) counts.emplace(s.string(0), s.int64(1));
  return counts;
}

Rows SqliteStore::commands(const RecordQuery& q) {
  Select select("SELECT seq, id, issued_at, clinic, device, topic, payload FROM commands");
  select.where_if(q.clinic, "clinic = ?")
      .where_in(q.scope, "clinic")
      .where_if(q.device, "device = ?")
      .where_if(q.from, "issued_at >= ?")
      .where_if(q.to, "issued_at < ?");
  auto db = readers_.acquire();
  return newest_first(*db, select, "seq", q.page, [](const Statement& s) {
    return json{{"id", s.text(1)},     {"issued_at", time_text(s, 2)}, {"clinic", s.text(3)},
                {"device", s.text(4)}, {"topic", s.text(5)},           {"payload", s.text(6)}};
  });
}

StoreStats SqliteStore::stats() {
  StoreStats out;
  {
    // Append-only tables are counted by their last row number (rows are never deleted): no scan.
    auto db = readers_.acquire();
    auto& s = db->cached(
        "SELECT coalesce((SELECT max(id) FROM messages), 0), coalesce((SELECT max(id) FROM quarantine), 0), "
        "(SELECT count(*) FROM alerts), coalesce((SELECT max(seq) FROM audit), 0)");
    Reset reset(s);
    s.step("counting rows");
    out.messages = s.int64(0);
    out.quarantined = s.int64(1);
    out.alerts = s.int64(2);
    out.audit_records = s.int64(3);
  }
  for (const auto* suffix : {"", "-wal"}) {
    std::error_code error;
    const auto size = std::filesystem::file_size(path_ + suffix, error);
    if (!error) out.bytes += static_cast<std::int64_t>(size);
  }
  return out;
}

std::int64_t SqliteStore::last_quarantine_id() {
  auto db = readers_.acquire();
  auto& s = db->cached("SELECT coalesce(max(id), 0) FROM quarantine");
  Reset reset(s);
  s.step("reading the last quarantine id");
  return s.int64(0);
}

// --- tokens ---

std::optional<TokenRecord> SqliteStore::token_by_hash(const std::string& sha256_hex) {
  auto db = readers_.acquire();
  auto& s = db->cached(std::string(kTokenColumns) + " WHERE sha256 = ?");
  Reset reset(s);
  s.bind(1, sha256_hex);
  if (!s.step("looking up a token")) return std::nullopt;
  return token_from(s);
}

std::vector<TokenRecord> SqliteStore::tokens() {
  auto db = readers_.acquire();
  auto& s = db->cached(std::string(kTokenColumns) + " ORDER BY created_at, id");
  Reset reset(s);
  std::vector<TokenRecord> out;
  while (s.step("listing tokens")) out.push_back(token_from(s));
  return out;
}

}  // namespace sterifleet::store::sqlite
