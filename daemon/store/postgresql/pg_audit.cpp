// The PostgreSQL store's audit trail: the fleet chain's head, its records, and their verification.
#include "../src/chain_walk.hpp"
#include "../src/cursor.hpp"
#include "pg_select.hpp"
#include "pg_store.hpp"

namespace sterifleet::store::postgresql {

namespace {

constexpr const char* kFleetChain = "fleet";

AuditHead head_in(pqxx::transaction_base& tx) {
  const auto r = tx.exec_params("SELECT seq, hash FROM audit_heads WHERE chain = $1", kFleetChain);
  if (r.empty()) return {0, std::string(detail::genesis_hash)};
  return {r[0][0].as<std::int64_t>(), r[0][1].as<std::string>()};
}

std::string_view view(const pqxx::field& f) { return {f.c_str(), f.size()}; }

/// How many records verification fetches at a time: a trail can hold millions.
constexpr std::size_t kVerifyBatch = 5000;

}  // namespace

AuditHead PostgresStore::audit_head() {
  return read("reading the audit head", [&](pqxx::transaction_base& tx) { return head_in(tx); });
}

AuditVerification PostgresStore::verify_audit() {
  return read("verifying the audit trail", [&](pqxx::transaction_base& tx) {
    // One repeatable-read view: the head and the records are of the same moment.
    detail::ChainWalk walk(head_in(tx));
    // Quoted piece by piece: pqxx's quote() is a literal + std::string, on which GCC 12 warns falsely
    // (-Wrestrict) at -O3.
    std::string query =
        "SELECT seq, at, actor, entity, action, \"before\", \"after\", cause, prev_hash, hash, clinic FROM audit "
        "WHERE chain = '";
    query += tx.esc(kFleetChain);
    query += "' ORDER BY seq";
    pqxx::icursorstream stream(tx, query, "audit_walk", kVerifyBatch);
    pqxx::result batch;
    bool going = true;
    while (going && stream >> batch) {
      for (const auto& r : batch) {
        going = walk.next({r[0].as<std::int64_t>(), from_millis(r[1].as<std::int64_t>()), view(r[2]), view(r[3]),
                           view(r[4]), view(r[5]), view(r[6]), view(r[7]), view(r[8]), view(r[9]),
                           r[10].is_null() ? std::nullopt : std::optional(view(r[10]))});
        if (!going) break;
      }
    }
    return walk.finish();
  });
}

Rows PostgresStore::audit_records(std::int64_t after_seq, std::size_t limit, const AuditFilter& filter) {
  return read("reading audit records", [&](pqxx::transaction_base& tx) {
    return Select(
               "SELECT seq, at, actor, entity, action, \"before\", \"after\", cause, prev_hash, hash, clinic "
               "FROM audit")
        .where("chain = ?", {kFleetChain})
        .where("seq > ?", {std::to_string(after_seq)})
        .where_if(filter.clinic, "clinic = ?")
        .where_if(filter.actor, "actor = ?")
        .where_if(filter.action, "action = ?")
        .where_if(filter.entity, "entity = ?")
        .where_if(filter.from, "at >= ?")
        .where_if(filter.to, "at < ?")
        .where_in(filter.scope, "clinic")
        .page(
            tx, "seq", detail::page_limit(limit),
            [](const pqxx::row& r) {
              return nlohmann::json{{"seq", r[0].as<std::int64_t>()},
                                    {"at", columns::time_text(r[1])},
                                    {"actor", r[2].as<std::string>()},
                                    {"entity", r[3].as<std::string>()},
                                    {"action", r[4].as<std::string>()},
                                    {"before", columns::parse_row(columns::view(r[5]))},
                                    {"after", columns::parse_row(columns::view(r[6]))},
                                    {"cause", r[7].as<std::string>()},
                                    {"clinic", columns::text_or_null(r[10])},
                                    {"prev_hash", r[8].as<std::string>()},
                                    {"hash", r[9].as<std::string>()}};
            },
            [](const pqxx::row& r) { return std::to_string(r[0].as<std::int64_t>()); });
  });
}

}  // namespace sterifleet::store::postgresql
