// The SQLite store's commit path: one transaction per Commit (or per group of them), every statement
// prepared once.
#include <algorithm>
#include <charconv>
#include <map>

#include "sterifleet/protocol/topic.hpp"
#include "sterifleet/store/canonical_json.hpp"
#include "writer.hpp"

namespace sterifleet::store::sqlite {

namespace {

constexpr std::string_view kMessageInsert =
    "INSERT INTO messages (commit_seq, received_at, topic, payload, clinic, device, boot, seq, ts, type) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr std::string_view kQuarantineInsert =
    "INSERT INTO quarantine (commit_seq, received_at, topic, payload, reason, detail, clinic, device, id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr std::string_view kActionInsert =
    "INSERT INTO actions (commit_seq, at, actor, kind, body) VALUES (?, ?, ?, ?, ?)";
// clinic and rule are part of an alert's id, so they never change on update.
constexpr std::string_view kAlertUpsert =
    "INSERT INTO alerts (id, clinic, rule, state, device, opened_at, transition, commit_seq, row) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
    "device = excluded.device, opened_at = excluded.opened_at, transition = excluded.transition, "
    "commit_seq = excluded.commit_seq, row = excluded.row";
constexpr std::string_view kSessionUpsert =
    "INSERT INTO sessions (pen, session, clinic, started, commit_seq, row) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (pen, session) DO UPDATE SET clinic = excluded.clinic, started = excluded.started, "
    "commit_seq = excluded.commit_seq, row = excluded.row";
constexpr std::string_view kCycleUpsert =
    "INSERT INTO cycles (key, clinic, sterilizer, ts, commit_seq, row) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET clinic = excluded.clinic, sterilizer = excluded.sterilizer, "
    "ts = excluded.ts, commit_seq = excluded.commit_seq, row = excluded.row";
constexpr std::string_view kAuditInsert =
    "INSERT INTO audit (seq, commit_seq, at, actor, entity, action, \"before\", \"after\", cause, prev_hash, hash, "
    "clinic) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr std::string_view kCommandInsert =
    "INSERT INTO commands (id, commit_seq, issued_at, clinic, device, topic, payload) VALUES (?, ?, ?, ?, ?, ?, ?)";
// The last commit's number is the largest of the meta row's and those of each append-only table's last row.
constexpr std::string_view kCountersSelect =
    "SELECT max(commit_seq, "
    "coalesce((SELECT commit_seq FROM messages ORDER BY id DESC LIMIT 1), 0), "
    "coalesce((SELECT commit_seq FROM quarantine ORDER BY id DESC LIMIT 1), 0), "
    "coalesce((SELECT commit_seq FROM actions ORDER BY id DESC LIMIT 1), 0), "
    "coalesce((SELECT commit_seq FROM commands ORDER BY seq DESC LIMIT 1), 0), "
    "coalesce((SELECT commit_seq FROM audit ORDER BY seq DESC LIMIT 1), 0)), "
    "audit_seq, audit_hash FROM meta WHERE id = 1";
constexpr std::string_view kMetaUpdate = "UPDATE meta SET commit_seq = ?, audit_seq = ?, audit_hash = ? WHERE id = 1";
constexpr std::string_view kReceiptUpdate = "UPDATE ingest_position SET receipt = ? WHERE id = 1";
constexpr std::string_view kDataVersion = "PRAGMA data_version";
constexpr std::string_view kKeyPositionSelect = "SELECT indexed FROM message_keys_position WHERE id = 1";
constexpr std::string_view kTailSelect = "SELECT id, device, boot, seq FROM messages WHERE id > ? ORDER BY id LIMIT ?";
constexpr std::string_view kKeysInsert =
    "INSERT INTO message_keys (device, last_id, keys, low_boot, low_seq, high_boot, high_seq) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr std::string_view kKeyPositionUpdate = "UPDATE message_keys_position SET indexed = ? WHERE id = 1";

std::string message_key(const StoredMessage& m) {
  if (!m.seq) return "status of " + m.device;
  return m.device + "/" + std::to_string(m.boot) + "/" + std::to_string(*m.seq);
}

void append_number(std::string& out, std::int64_t n) {
  char digits[20];
  const auto end = std::to_chars(std::begin(digits), std::end(digits), n).ptr;
  out.append(std::begin(digits), end);
}

[[noreturn]] void fail_row(std::int64_t commit, const std::string& row, const std::string& error) {
  throw StoreError("commit " + std::to_string(commit) + ": storing " + row + ": " + error);
}

void insert(SqliteStore::Writer& w, std::int64_t n, const std::vector<StoredMessage>& messages,
            std::vector<TailKey>& tail) {
  for (const auto& m : messages) {
    auto& s = w.statements.insert_message;
    s.bind(1, n);
    s.bind(2, millis(m.received_at));
    s.bind(3, m.topic);
    s.bind(4, m.payload);
    s.bind(5, m.clinic);
    s.bind(6, m.device);
    s.bind(7, std::int64_t{m.boot});
    s.bind(8, m.seq ? std::optional(static_cast<std::int64_t>(*m.seq)) : std::nullopt);
    s.bind(9, m.ts ? std::optional(millis(*m.ts)) : std::nullopt);
    s.bind(10, m.type);
    if (auto error = s.execute()) fail_row(n, "message " + message_key(m), *error);
    if (m.seq) tail.push_back({m.device, m.boot, *m.seq, sqlite3_last_insert_rowid(w.db.get())});
  }
}

void insert(WriteStatements& statements, std::int64_t n, const std::vector<QuarantinedMessage>& quarantined) {
  for (const auto& q : quarantined) {
    const auto topic = protocol::parse_topic(q.topic);
    auto& s = statements.insert_quarantine;
    s.bind(1, n);
    s.bind(2, millis(q.received_at));
    s.bind(3, q.topic);
    s.bind_blob(4, q.payload);
    s.bind(5, q.reason);
    s.bind(6, q.detail);
    if (topic) {
      s.bind(7, topic->clinic.str());
      s.bind(8, topic->device.str());
    } else {
      s.bind_null(7);
      s.bind_null(8);
    }
    if (q.id > 0) {
      s.bind(9, q.id);
    } else {
      s.bind_null(9);
    }
    if (auto error = s.execute()) fail_row(n, "quarantined message on " + q.topic, *error);
  }
}

void insert(WriteStatements& statements, std::int64_t n, const std::vector<Action>& actions) {
  for (const auto& a : actions) {
    const auto body = detail::json_text(a.body);
    auto& s = statements.insert_action;
    s.bind(1, n);
    s.bind(2, millis(a.at));
    s.bind(3, a.actor);
    s.bind(4, a.kind);
    s.bind(5, body);
    if (auto error = s.execute()) fail_row(n, "action " + a.kind + " by " + a.actor, *error);
  }
}

void upsert(WriteStatements& statements, std::int64_t n, const std::vector<engine::AlertChange>& alerts) {
  for (const auto& change : alerts) {
    const auto& alert = change.alert;
    const auto row = detail::json_text(engine::to_json(alert));
    auto& s = statements.upsert_alert;
    s.bind(1, alert.id);
    s.bind(2, alert.clinic.str());
    s.bind(3, engine::to_string(alert.rule));
    s.bind(4, engine::to_string(alert.state()));
    s.bind(5, alert.episode.device.str());
    s.bind(6, millis(alert.episode.opened_at));
    s.bind(7, engine::to_string(change.transition));
    s.bind(8, n);
    s.bind(9, row);
    if (auto error = s.execute()) fail_row(n, "alert " + alert.id, *error);
  }
}

void upsert(WriteStatements& statements, std::int64_t n, const std::vector<engine::SessionChange>& sessions) {
  for (const auto& change : sessions) {
    const auto row = detail::json_text(engine::to_json(change));
    auto& s = statements.upsert_session;
    s.bind(1, change.pen.str());
    s.bind(2, change.session.id.str());
    s.bind(3, change.clinic.str());
    s.bind(4, millis(change.session.started));
    s.bind(5, n);
    s.bind(6, row);
    if (auto error = s.execute()) fail_row(n, "session " + change.pen.str() + "/" + change.session.id.str(), *error);
  }
}

void upsert(WriteStatements& statements, std::int64_t n, const std::vector<engine::CycleChange>& cycles) {
  for (const auto& change : cycles) {
    const auto& cycle = change.cycle;
    const auto row = detail::json_text(engine::to_json(cycle));
    auto& s = statements.upsert_cycle;
    s.bind(1, cycle.key);
    s.bind(2, cycle.clinic.str());
    s.bind(3, cycle.sterilizer.str());
    s.bind(4, millis(cycle.ts));
    s.bind(5, n);
    s.bind(6, row);
    if (auto error = s.execute()) fail_row(n, "cycle " + cycle.key, *error);
  }
}

void insert(WriteStatements& statements, std::int64_t n, const std::vector<IssuedCommand>& commands) {
  for (const auto& c : commands) {
    auto& s = statements.insert_command;
    s.bind(1, c.id);
    s.bind(2, n);
    s.bind(3, millis(c.issued_at));
    s.bind(4, c.clinic);
    s.bind(5, c.device);
    s.bind(6, c.topic);
    s.bind(7, c.payload);
    if (auto error = s.execute()) fail_row(n, "command " + c.id, *error);
  }
}

bool is_sha256_hex(const std::string& text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Rare writes (a person makes or revokes a token): their statements are prepared when first used.
void write_tokens(Connection& db, std::int64_t n, const Commit& commit) {
  for (const auto& [token, sha256_hex] : commit.new_tokens) {
    if (!is_sha256_hex(sha256_hex)) fail_row(n, "token " + token.id, "its hash is not 64 lowercase hex digits");
    auto& s = db.cached(
        "INSERT INTO tokens (id, sha256, name, role, created_at, revoked, clinics) VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, token.id);
    s.bind(2, sha256_hex);
    s.bind(3, token.name);
    s.bind(4, token.role);
    s.bind(5, millis(token.created_at));
    s.bind(6, std::int64_t{token.revoked ? 1 : 0});
    const auto clinics = token.clinics.to_json().dump();
    if (token.clinics.all()) {
      s.bind_null(7);
    } else {
      s.bind(7, clinics);
    }
    if (auto error = s.execute()) fail_row(n, "token " + token.id + " named " + token.name, *error);
  }
  for (const auto& id : commit.revoked_tokens) {
    auto& s = db.cached("UPDATE tokens SET revoked = 1 WHERE id = ?");
    s.bind(1, id);
    if (auto error = s.execute()) fail_row(n, "the revocation of token " + id, *error);
    if (sqlite3_changes(db.get()) == 0) fail_row(n, "the revocation of token " + id, "no such token");
  }
}

}  // namespace

WriteStatements::WriteStatements(Connection& db)
    : insert_message(db.cached(std::string(kMessageInsert))),
      insert_quarantine(db.cached(std::string(kQuarantineInsert))),
      insert_action(db.cached(std::string(kActionInsert))),
      upsert_alert(db.cached(std::string(kAlertUpsert))),
      upsert_session(db.cached(std::string(kSessionUpsert))),
      upsert_cycle(db.cached(std::string(kCycleUpsert))),
      insert_audit(db.cached(std::string(kAuditInsert))),
      insert_command(db.cached(std::string(kCommandInsert))),
      select_counters(db.cached(std::string(kCountersSelect))),
      update_meta(db.cached(std::string(kMetaUpdate))),
      update_receipt(db.cached(std::string(kReceiptUpdate))),
      data_version(db.cached(std::string(kDataVersion))),
      select_key_position(db.cached(std::string(kKeyPositionSelect))),
      select_tail(db.cached(std::string(kTailSelect))),
      insert_keys(db.cached(std::string(kKeysInsert))),
      update_key_position(db.cached(std::string(kKeyPositionUpdate))) {}

namespace {

// Chains the records after `head` and returns the new head.
AuditHead append(SqliteStore::Writer& w, std::int64_t n, const std::vector<engine::AuditRecord>& records,
                 AuditHead head) {
  for (const auto& record : records) {
    const std::int64_t seq = head.seq + 1;
    const auto text = detail::audit_text(record);
    w.canonical.clear();
    detail::append_canonical(w.canonical, {seq, text.at, text.actor, text.entity, text.action, text.before, text.after,
                                           text.cause, head.hash, text.clinic});
    const auto hash = detail::link_hash(w.sha256, head.hash, w.canonical);
    auto& s = w.statements.insert_audit;
    s.bind(1, seq);
    s.bind(2, n);
    s.bind(3, millis(record.at));
    s.bind(4, text.actor);
    s.bind(5, text.entity);
    s.bind(6, text.action);
    s.bind(7, text.before);
    s.bind(8, text.after);
    s.bind(9, text.cause);
    s.bind(10, head.hash);
    s.bind(11, detail::view(hash));
    if (text.clinic.empty()) {
      s.bind_null(12);
    } else {
      s.bind(12, text.clinic);
    }
    if (auto error = s.execute()) fail_row(n, "audit record " + std::to_string(seq), *error);
    head = {seq, std::string(detail::view(hash))};
  }
  return head;
}

}  // namespace

SqliteStore::Counters SqliteStore::read_counters() {
  auto& s = writer_->statements.select_counters;
  Reset reset(s);
  if (!s.step("reading the meta row")) throw StoreError("the store at " + path_ + " has no meta row");
  return {s.int64(0), {s.int64(1), s.string(2)}};
}

std::int64_t SqliteStore::data_version() {
  auto& s = writer_->statements.data_version;
  Reset reset(s);
  s.step("reading the data version");
  return s.int64(0);
}

bool SqliteStore::written_by_others() {
  const auto now = data_version();
  const bool changed = now != writer_->data_version;
  writer_->data_version = now;
  if (changed) tail_known_ = false;  // the other writer's messages may be in the tail
  return changed;
}

std::int64_t SqliteStore::commit(const Commit& commit) { return commit_group({&commit, 1}, std::nullopt); }

std::int64_t SqliteStore::commit_group(std::span<const Commit> commits, std::optional<std::int64_t> receipt) {
  std::lock_guard lock(write_mutex_);
  if (std::any_of(commits.begin(), commits.end(), [](const Commit& c) { return !c.lobby_taken.empty(); })) {
    throw StoreError("a commit takes messages from a cluster's lobby, which only the PostgreSQL store has");
  }
  for (const auto& commit : commits) {
    if (commit.api_command) {
      throw StoreError("commit of API command " + std::to_string(*commit.api_command) +
                       ": API commands are a cluster's (PostgreSQL); a SQLite store has none to mark done");
    }
  }
  const bool empty = std::all_of(commits.begin(), commits.end(), [](const Commit& c) { return c.empty(); });
  if (empty && !receipt) {
    return written_by_others() ? (counters_ = read_counters()).commit_seq : counters_.commit_seq;
  }
  auto& w = writer();
  Counters next = counters_;
  bool index_now = false;
  std::size_t stored = 0;
  const auto tail_before = tail_.size();  // write() appends the group's keys to tail_
  try {
    Transaction transaction(w.db, Transaction::Kind::write);
    if (written_by_others()) next = read_counters();
    bool meta_due = false;
    for (const auto& commit : commits) {
      if (!commit.empty()) meta_due |= write(w, next, commit);
      stored += commit.messages.size();
    }
    index_now = tail_size_ + stored >= key_batch_;
    if (index_now) index_tail(w, std::nullopt);
    // Once for the group: the meta row is one page, rewritten by every transaction that touches it.
    if (meta_due) {
      auto& meta = w.statements.update_meta;
      meta.bind(1, next.commit_seq);
      meta.bind(2, next.audit.seq);
      meta.bind(3, next.audit.hash);
      meta.run("commit " + std::to_string(next.commit_seq) + ": updating the meta row");
    }
    if (receipt) {
      auto& s = w.statements.update_receipt;
      s.bind(1, *receipt);
      s.run("recording receipt " + std::to_string(*receipt));
    }
    transaction.commit();
  } catch (...) {
    tail_.resize(tail_before);
    throw;
  }
  counters_ = std::move(next);
  if (index_now) {
    tail_.clear();
    tail_size_ = 0;
    tail_known_ = true;
  } else {
    tail_size_ += stored;
  }
  return counters_.commit_seq;
}

std::size_t SqliteStore::index_tail(Writer& w, std::optional<std::size_t> most) {
  std::int64_t indexed = 0;
  {
    auto& s = w.statements.select_key_position;
    Reset reset(s);
    if (!s.step("reading the key position")) throw StoreError("the store at " + path_ + " has no key position");
    indexed = s.int64(0);
  }
  using Key = std::pair<std::int64_t, std::int64_t>;  // (boot, seq)
  struct DeviceKeys {
    std::string json = "[";
    std::int64_t last_id = 0;
    std::optional<Key> low, high;  // of its sequenced messages
  };
  // In device order, so that the rows go into message_keys in key order.
  std::map<std::string, DeviceKeys, std::less<>> batch;
  std::size_t count = 0;
  {
    auto& s = w.statements.select_tail;
    Reset reset(s);
    s.bind(1, indexed);
    s.bind(2, most ? static_cast<std::int64_t>(*most) : std::int64_t{-1});  // -1: no limit
    while (s.step("reading the messages to index")) {
      const auto id = s.int64(0);
      const auto device = s.text(1);
      auto found = batch.find(device);
      if (found == batch.end()) found = batch.emplace(std::string(device), DeviceKeys{}).first;
      auto& keys = found->second;
      keys.json += keys.json.size() == 1 ? "[" : ",[";
      append_number(keys.json, id);
      keys.json += ',';
      append_number(keys.json, s.int64(2));
      keys.json += ',';
      if (s.is_null(3)) {
        keys.json += "null";
      } else {
        const Key key{s.int64(2), s.int64(3)};
        append_number(keys.json, key.second);
        if (!keys.low || key < *keys.low) keys.low = key;
        if (!keys.high || key > *keys.high) keys.high = key;
      }
      keys.json += ']';
      keys.last_id = id;
      indexed = id;
      ++count;
    }
  }
  if (count == 0) return 0;
  auto& insert = w.statements.insert_keys;
  for (auto& [device, keys] : batch) {
    keys.json += ']';
    insert.bind(1, device);
    insert.bind(2, keys.last_id);
    insert.bind(3, keys.json);
    if (keys.low) {  // and high: both or neither
      insert.bind(4, keys.low->first);
      insert.bind(5, keys.low->second);
      insert.bind(6, keys.high->first);
      insert.bind(7, keys.high->second);
    } else {
      for (int column = 4; column <= 7; ++column) insert.bind_null(column);
    }
    insert.run("indexing the message keys of " + device);
  }
  auto& position = w.statements.update_key_position;
  position.bind(1, indexed);
  position.run("recording the key position");
  return count;
}

SqliteStore::TailLookup SqliteStore::find_in_tail(const std::string& device, std::uint32_t boot, std::uint64_t seq) {
  std::lock_guard lock(write_mutex_);
  // Newest first: a duplicate is most often of a message stored moments ago.
  for (auto key = tail_.rbegin(); key != tail_.rend(); ++key) {
    if (key->seq == seq && key->boot == boot && key->device == device) return {key->id, true};
  }
  // Not written_by_others(): the next commit must still see the change, to reload its counters.
  return {std::nullopt, tail_known_ && data_version() == writer_->data_version};
}

bool SqliteStore::write(Writer& w, Counters& next, const Commit& commit) {
  const std::int64_t n = ++next.commit_seq;
  insert(w, n, commit.messages, tail_);
  insert(w.statements, n, commit.quarantined);
  insert(w.statements, n, commit.actions);
  upsert(w.statements, n, commit.alerts);
  upsert(w.statements, n, commit.sessions);
  upsert(w.statements, n, commit.cycles);
  next.audit = append(w, n, commit.audit, std::move(next.audit));
  insert(w.statements, n, commit.commands);
  write_outbox(w.db, n, commit);
  write_tokens(w.db, n, commit);
  // The meta row holds the audit head, and numbers a commit that left no row carrying its number.
  const bool numbered_by_rows =
      !commit.messages.empty() || !commit.quarantined.empty() || !commit.actions.empty() || !commit.commands.empty();
  return !commit.audit.empty() || !numbered_by_rows;
}

}  // namespace sterifleet::store::sqlite
