// The SQLite store's journal: what the daemon replays on restart, in commit order.
#include "select.hpp"

namespace sterifleet::store::sqlite {

namespace {

// Each from a row number on, in row order, which is commit order (see first_row_after).
constexpr std::string_view kJournalMessages =
    "SELECT commit_seq, received_at, topic, payload, clinic, device, boot, seq, ts, type FROM messages "
    "WHERE id >= ? ORDER BY id";
constexpr std::string_view kJournalQuarantine =
    "SELECT commit_seq, received_at, topic, payload, reason, detail, id FROM quarantine WHERE id >= ? ORDER BY id";
constexpr std::string_view kJournalActions =
    "SELECT commit_seq, at, actor, kind, body FROM actions WHERE id >= ? ORDER BY id";

/// The number of the first row of an append-only `table` whose commit is after `commit`, by bisection
/// on row numbers: rows are appended in commit order, so commit_seq never decreases along them.
std::int64_t first_row_after(Connection& db, const std::string& table, std::int64_t commit) {
  if (commit <= 0) return 0;
  auto& last = db.cached("SELECT coalesce(max(id), 0) FROM " + table);
  std::int64_t high = 0;
  {
    Reset reset(last);
    last.step("reading the journal");
    high = last.int64(0) + 1;
  }
  auto& probe = db.cached("SELECT id, commit_seq FROM " + table + " WHERE id >= ? ORDER BY id LIMIT 1");
  std::int64_t low = 0;  // rows below `low` are of commits up to `commit`; rows from `high` on are after it
  while (low < high) {
    const std::int64_t middle = low + (high - low) / 2;
    Reset reset(probe);
    probe.bind(1, middle);
    if (!probe.step("reading the journal") || probe.int64(1) > commit) {
      high = middle;
    } else {
      low = probe.int64(0) + 1;
    }
  }
  return low;
}

StoredMessage message_from(const Statement& s) {
  StoredMessage m;
  m.received_at = from_millis(s.int64(1));
  m.topic = s.string(2);
  m.payload = s.string(3);
  m.clinic = s.string(4);
  m.device = s.string(5);
  m.boot = static_cast<std::uint32_t>(s.int64(6));
  if (!s.is_null(7)) m.seq = static_cast<std::uint64_t>(s.int64(7));
  if (!s.is_null(8)) m.ts = from_millis(s.int64(8));
  m.type = s.string(9);
  return m;
}

QuarantinedMessage quarantined_from(const Statement& s) {
  return {s.int64(6), from_millis(s.int64(1)), s.string(2), s.blob(3), s.string(4), s.string(5)};
}

Action action_from(const Statement& s) {
  return {from_millis(s.int64(1)), s.string(2), s.string(3), parse_row(s.text(4))};
}

}  // namespace

void SqliteStore::read_journal(std::int64_t after_commit, const std::function<void(const JournalEntry&)>& visit) {
  auto db = readers_.acquire();
  Transaction snapshot(*db, Transaction::Kind::read);
  // Three ordered streams merged by (commit, kind); within a commit: messages, quarantine, actions.
  Statement* streams[] = {&db->cached(std::string(kJournalMessages)), &db->cached(std::string(kJournalQuarantine)),
                          &db->cached(std::string(kJournalActions))};
  const std::string tables[] = {"messages", "quarantine", "actions"};
  Reset r0(*streams[0]), r1(*streams[1]), r2(*streams[2]);
  bool ready[3];
  for (int i = 0; i < 3; ++i) {
    streams[i]->bind(1, first_row_after(*db, tables[i], after_commit));
    ready[i] = streams[i]->step("reading the journal");
  }
  while (true) {
    int pick = -1;
    for (int i = 0; i < 3; ++i) {
      if (ready[i] && (pick < 0 || streams[i]->int64(0) < streams[pick]->int64(0))) pick = i;
    }
    if (pick < 0) break;
    const Statement& s = *streams[pick];
    JournalEntry entry{s.int64(0), {}};
    if (pick == 0) {
      entry.input = message_from(s);
    } else if (pick == 1) {
      entry.input = quarantined_from(s);
    } else {
      entry.input = action_from(s);
    }
    visit(entry);
    ready[pick] = streams[pick]->step("reading the journal");
  }
}

std::int64_t SqliteStore::last_receipt() {
  auto db = readers_.acquire();
  auto& s = db->cached("SELECT receipt FROM ingest_position WHERE id = 1");
  Reset reset(s);
  if (!s.step("reading the ingest position")) throw StoreError("the store at " + path_ + " has no ingest position");
  return s.int64(0);
}

std::int64_t SqliteStore::journal_before_fail_safe() {
  auto db = readers_.acquire();
  auto& s = db->cached("SELECT commit_seq FROM fail_safe_since");
  Reset reset(s);
  if (!s.step("reading where fail-safe judging began")) return 0;
  return s.int64(0);
}

std::optional<std::string> SqliteStore::stored_payload(const std::string& device, std::uint32_t boot,
                                                       std::uint64_t seq) {
  const auto in_tail = find_in_tail(device, boot, seq);
  auto db = readers_.acquire();
  const auto payload = [&](std::string_view sql) -> std::optional<std::string> {
    auto& s = db->cached(std::string(sql));
    Reset reset(s);
    if (in_tail.id) {
      s.bind(1, *in_tail.id);
    } else {
      s.bind(1, device);
      s.bind(2, std::int64_t{boot});
      s.bind(3, static_cast<std::int64_t>(seq));
    }
    if (!s.step("looking up a stored message")) return std::nullopt;
    return s.string(0);
  };
  if (in_tail.id) return payload("SELECT payload FROM messages WHERE id = ?");
  // One snapshot for both places a key can be, so that a batch indexed in between is not missed.
  Transaction snapshot(*db, Transaction::Kind::read);
  // Only the rows whose key range holds the key are opened: found in message_keys_range, from the key
  // up, so a recent key (the usual duplicate) reads a row or two however long the device's history.
  auto indexed = payload(
      "SELECT m.payload FROM message_keys k, json_each(k.keys) j, messages m "
      "WHERE k.device = ?1 AND (k.high_boot, k.high_seq) >= (?2, ?3) AND (k.low_boot, k.low_seq) <= (?2, ?3) "
      "AND j.value ->> 1 = ?2 AND j.value ->> 2 = ?3 AND m.id = j.value ->> 0");
  if (indexed || in_tail.complete) return indexed;
  // Another writer's message, or a read-only store: the tail is scanned (about a batch of rows).
  return payload(
      "SELECT payload FROM messages WHERE id > (SELECT indexed FROM message_keys_position) "
      "AND device = ?1 AND boot = ?2 AND seq = ?3");
}

}  // namespace sterifleet::store::sqlite
