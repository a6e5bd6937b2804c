// The SQLite store's audit trail: its head, its records, and their verification, streamed.
#include "../src/audit_chain.hpp"
#include "../src/chain_walk.hpp"
#include "../src/cursor.hpp"
#include "select.hpp"

namespace sterifleet::store::sqlite {

using nlohmann::json;

AuditHead SqliteStore::audit_head() {
  // From the file, not the writer's memory: another process may have appended since.
  auto db = readers_.acquire();
  auto& s = db->cached("SELECT audit_seq, audit_hash FROM meta WHERE id = 1");
  Reset reset(s);
  if (!s.step("reading the audit head")) throw StoreError("the store at " + path_ + " has no meta row");
  return {s.int64(0), s.string(1)};
}

AuditVerification SqliteStore::verify_audit() {
  auto db = readers_.acquire();
  Transaction snapshot(*db, Transaction::Kind::read);
  AuditHead head;
  {
    auto& meta = db->cached("SELECT audit_seq, audit_hash FROM meta WHERE id = 1");
    Reset reset(meta);
    if (!meta.step("reading the audit head")) throw StoreError("the store at " + path_ + " has no meta row");
    head = {meta.int64(0), meta.string(1)};
  }
  detail::ChainWalk walk(std::string(fleet_chain), std::move(head));
  auto& s = db->cached(
      "SELECT seq, at, actor, entity, action, \"before\", \"after\", cause, prev_hash, hash, clinic FROM audit "
      "ORDER BY seq");
  Reset reset(s);
  while (s.step("reading the audit trail")) {
    if (!walk.next({s.int64(0), from_millis(s.int64(1)), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6),
                    s.text(7), s.text(8), s.text(9),
                    s.is_null(10) ? std::nullopt : std::optional<std::string_view>(s.text(10))})) {
      break;
    }
  }
  return walk.finish();
}

namespace {

constexpr const char* kColumns =
    "SELECT seq, at, actor, entity, action, \"before\", \"after\", cause, prev_hash, hash, clinic FROM audit";

json record_json(const Statement& s) {
  return json{{"chain", fleet_chain},
              {"seq", s.int64(0)},
              {"at", time_text(s, 1)},
              {"actor", s.text(2)},
              {"entity", s.text(3)},
              {"action", s.text(4)},
              {"before", parse_row(s.text(5))},
              {"after", parse_row(s.text(6))},
              {"cause", s.text(7)},
              {"clinic", s.is_null(10) ? json(nullptr) : json(s.text(10))},
              {"prev_hash", s.text(8)},
              {"hash", s.text(9)}};
}

}  // namespace

// One chain: the listing's position is the record's seq.
Rows SqliteStore::audit_records(std::int64_t after, std::size_t limit, const AuditFilter& filter) {
  auto db = readers_.acquire();
  return Select(kColumns)
      .where("seq > ?", {after})
      .where_if(filter.clinic, "clinic = ?")
      .where_if(filter.actor, "actor = ?")
      .where_if(filter.action, "action = ?")
      .where_if(filter.entity, "entity = ?")
      .where_if(filter.from, "at >= ?")
      .where_if(filter.to, "at < ?")
      .where_in(filter.scope, "clinic")
      .page(*db, "seq", detail::page_limit(limit), record_json,
            [](const Statement& s) { return std::to_string(s.int64(0)); });
}

std::optional<json> SqliteStore::audit_record(std::string_view chain, std::int64_t seq) {
  if (chain != fleet_chain) return std::nullopt;
  auto db = readers_.acquire();
  auto& s = db->cached(std::string(kColumns) + " WHERE seq = ?");
  Reset reset(s);
  s.bind(1, seq);
  if (!s.step("reading an audit record")) return std::nullopt;
  return record_json(s);
}

std::size_t SqliteStore::anchor_audit_chains(Timestamp) { return 0; }

}  // namespace sterifleet::store::sqlite
