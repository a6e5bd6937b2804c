// The PostgreSQL store's audit trail: the fleet chain's head, its records, and their verification.
#include "../src/chain_walk.hpp"
#include "../src/cursor.hpp"
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
    pqxx::icursorstream stream(tx,
                               "SELECT seq, at, actor, entity, action, \"before\", \"after\", cause, prev_hash, hash "
                               "FROM audit WHERE chain = " +
                                   tx.quote(kFleetChain) + " ORDER BY seq",
                               "audit_walk", kVerifyBatch);
    pqxx::result batch;
    bool going = true;
    while (going && stream >> batch) {
      for (const auto& r : batch) {
        going = walk.next({r[0].as<std::int64_t>(), from_millis(r[1].as<std::int64_t>()), view(r[2]), view(r[3]),
                           view(r[4]), view(r[5]), view(r[6]), view(r[7]), view(r[8]), view(r[9])});
        if (!going) break;
      }
    }
    return walk.finish();
  });
}

Rows PostgresStore::audit_records(std::int64_t after_seq, std::size_t limit) {
  const auto page = detail::page_limit(limit);
  const auto found = read("reading audit records", [&](pqxx::transaction_base& tx) {
    // One row more than the page: it says whether there is a next page.
    return tx.exec_params(
        "SELECT seq, at, actor, entity, action, \"before\", \"after\", cause, prev_hash, hash FROM audit "
        "WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        kFleetChain, after_seq, static_cast<std::int64_t>(page + 1));
  });
  Rows out;
  for (const auto& r : found) {
    if (out.rows.size() == page) {
      out.next = std::to_string(out.rows.back().at("seq").get<std::int64_t>());
      break;
    }
    out.rows.push_back(nlohmann::json{{"seq", r[0].as<std::int64_t>()},
                                      {"at", protocol::format_timestamp(from_millis(r[1].as<std::int64_t>()))},
                                      {"actor", r[2].as<std::string>()},
                                      {"entity", r[3].as<std::string>()},
                                      {"action", r[4].as<std::string>()},
                                      {"before", nlohmann::json::parse(r[5].as<std::string>(), nullptr, false)},
                                      {"after", nlohmann::json::parse(r[6].as<std::string>(), nullptr, false)},
                                      {"cause", r[7].as<std::string>()},
                                      {"prev_hash", r[8].as<std::string>()},
                                      {"hash", r[9].as<std::string>()}});
  }
  return out;
}

}  // namespace sterifleet::store::postgresql
