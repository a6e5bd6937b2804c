// The SQLite store's audit trail: its head, its records, and their verification, streamed.
#include "../src/audit_chain.hpp"
#include "../src/cursor.hpp"
#include "select.hpp"

namespace sterifleet::store::sqlite {

using nlohmann::json;

namespace {

std::string missing_problem(std::int64_t expected, std::int64_t found) {
  if (expected == 1) {
    return "record 1 is missing: the trail starts at record " + std::to_string(found);
  }
  return "record " + std::to_string(expected) + " is missing: the trail goes from record " +
         std::to_string(expected - 1) + " to record " + std::to_string(found);
}

std::string link_problem(std::int64_t seq, std::string_view prev, std::string_view expected) {
  if (seq == 1) {
    return "record 1 does not start the chain: its prev_hash is " + std::string(prev) + " instead of 64 zeros";
  }
  return "record " + std::to_string(seq) + " does not link to record " + std::to_string(seq - 1) +
         ": its prev_hash is " + std::string(prev) + " but record " + std::to_string(seq - 1) + "'s hash is " +
         std::string(expected);
}

std::string hash_problem(std::int64_t seq, std::string_view computed, std::string_view stored) {
  return "record " + std::to_string(seq) + " has been altered: its contents hash to " + std::string(computed) +
         " but its stored hash is " + std::string(stored);
}

std::string empty_clinic_problem(std::int64_t seq) {
  return "record " + std::to_string(seq) + " has been altered: its clinic is empty text, which the store never writes";
}

std::string tail_problem(std::int64_t last, const AuditHead& recorded, std::string_view last_hash) {
  const auto n = std::to_string(recorded.seq);
  if (last < recorded.seq) {
    if (last + 1 == recorded.seq) {
      return "record " + n + ", the last, is missing: the trail ends at record " + std::to_string(last);
    }
    return "records " + std::to_string(last + 1) + " to " + n + " are missing from the end: the trail ends at record " +
           std::to_string(last) + " but the store's head is record " + n;
  }
  if (last > recorded.seq) {
    return "record " + std::to_string(recorded.seq + 1) + " was added after the store's head (record " + n + ")";
  }
  return "record " + n + " is not the head the store recorded: its hash is " + std::string(last_hash) +
         " but the recorded head's is " + recorded.hash;
}

}  // namespace

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
  AuditVerification result;
  {
    auto& meta = db->cached("SELECT audit_seq, audit_hash FROM meta WHERE id = 1");
    Reset reset(meta);
    if (!meta.step("reading the audit head")) throw StoreError("the store at " + path_ + " has no meta row");
    result.head = {meta.int64(0), meta.string(1)};
  }
  auto bad = [&](std::int64_t seq, std::string problem) {
    result.intact = false;
    result.first_bad = seq;
    result.problem = std::move(problem);
    return result;
  };
  auto broken = [&](std::int64_t seq, std::string problem) {
    result.walked_to_end = false;
    return bad(seq, std::move(problem));
  };
  auto& s = db->cached(
      "SELECT seq, at, actor, entity, action, \"before\", \"after\", cause, prev_hash, hash, clinic FROM audit "
      "ORDER BY seq");
  Reset reset(s);
  crypto::Sha256 sha256;
  std::string canonical;
  std::string at;
  std::string prev(detail::genesis_hash);
  std::int64_t expected = 1;
  while (s.step("reading the audit trail")) {
    const std::int64_t seq = s.int64(0);
    if (seq != expected) return broken(expected, missing_problem(expected, seq));
    const auto stored_prev = s.text(8);
    if (stored_prev != prev) return broken(seq, link_problem(seq, stored_prev, prev));
    // The store writes NULL for no clinic; empty text would hash as none yet read as a clinic.
    if (!s.is_null(10) && s.text(10).empty()) return broken(seq, empty_clinic_problem(seq));
    at.clear();
    detail::append_timestamp(at, from_millis(s.int64(1)));
    canonical.clear();
    detail::append_canonical(canonical, {seq, at, s.text(2), s.text(3), s.text(4), s.text(5), s.text(6), s.text(7),
                                         stored_prev, s.text(10)});
    const auto computed = detail::link_hash(sha256, stored_prev, canonical);
    const auto stored = s.text(9);
    if (detail::view(computed) != stored) return broken(seq, hash_problem(seq, detail::view(computed), stored));
    prev.assign(stored);
    ++expected;
    ++result.records;
  }
  // The walk found a consistent chain; it must also end where the store's last commit left it.
  const std::int64_t last = expected - 1;
  const auto problem = [&] { return tail_problem(last, result.head, prev); };
  if (last < result.head.seq) return bad(last + 1, problem());
  if (last > result.head.seq) return bad(result.head.seq + 1, problem());
  if (prev != result.head.hash) return bad(last, problem());
  return result;
}

Rows SqliteStore::audit_records(std::int64_t after_seq, std::size_t limit, const AuditFilter& filter) {
  auto db = readers_.acquire();
  return Select(
             "SELECT seq, at, actor, entity, action, \"before\", \"after\", cause, prev_hash, hash, clinic FROM audit")
      .where("seq > ?", {after_seq})
      .where_if(filter.clinic, "clinic = ?")
      .where_in(filter.scope, "clinic")
      .page(
          *db, "seq", detail::page_limit(limit),
          [](const Statement& s) {
            return json{{"seq", s.int64(0)},
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
          },
          [](const Statement& s) { return std::to_string(s.int64(0)); });
}

}  // namespace sterifleet::store::sqlite
