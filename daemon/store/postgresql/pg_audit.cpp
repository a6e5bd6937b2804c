// The PostgreSQL store's audit trail: the fleet chain's head, the records of every chain, and their
// verification, chain by chain, with the fleet chain's anchors of the clinic chains.
#include "../src/chain_walk.hpp"
#include "../src/cursor.hpp"
#include "pg_select.hpp"
#include "pg_store.hpp"

namespace sterifleet::store::postgresql {

namespace {

using nlohmann::json;

AuditHead head_in(pqxx::transaction_base& tx) {
  const auto r = tx.exec_params("SELECT seq, hash FROM audit_heads WHERE chain = $1", std::string(fleet_chain));
  if (r.empty()) return {0, std::string(detail::genesis_hash)};
  return {r[0][0].as<std::int64_t>(), r[0][1].as<std::string>()};
}

std::string_view view(const pqxx::field& f) { return {f.c_str(), f.size()}; }

/// How many records verification fetches at a time: a trail can hold millions.
constexpr std::size_t kVerifyBatch = 5000;

constexpr const char* kColumns =
    "SELECT chain, seq, at, actor, entity, action, \"before\", \"after\", cause, prev_hash, hash, clinic, id FROM "
    "audit";

json record_json(const pqxx::row& r) {
  return json{{"chain", r[0].as<std::string>()},
              {"seq", r[1].as<std::int64_t>()},
              {"at", columns::time_text(r[2])},
              {"actor", r[3].as<std::string>()},
              {"entity", r[4].as<std::string>()},
              {"action", r[5].as<std::string>()},
              {"before", columns::parse_row(columns::view(r[6]))},
              {"after", columns::parse_row(columns::view(r[7]))},
              {"cause", r[8].as<std::string>()},
              {"clinic", columns::text_or_null(r[11])},
              {"prev_hash", r[9].as<std::string>()},
              {"hash", r[10].as<std::string>()}};
}

// Streams the records `where` selects, chain by chain, into the walk; false once a chain's walk broke.
bool walk_chains(pqxx::transaction_base& tx, detail::TrailWalk& walk, const std::string& where,
                 const std::function<bool()>& between_batches) {
  pqxx::icursorstream stream(tx, std::string(kColumns) + " WHERE " + where + " ORDER BY chain, seq", "audit_walk",
                             kVerifyBatch);
  pqxx::result batch;
  while (stream >> batch) {
    for (const auto& r : batch) {
      if (!walk.next(view(r[0]), {r[1].as<std::int64_t>(), from_millis(r[2].as<std::int64_t>()), view(r[3]), view(r[4]),
                                  view(r[5]), view(r[6]), view(r[7]), view(r[8]), view(r[9]), view(r[10]),
                                  r[11].is_null() ? std::nullopt : std::optional(view(r[11]))})) {
        return false;
      }
    }
    if (!between_batches()) return false;
  }
  return true;
}

// Each anchor's claim against the stored hash of the record it names (which the walk of that record's
// chain verifies): a chain rewritten after it was anchored, or cut short, does not hold.
bool check_claims(pqxx::transaction_base& tx, detail::TrailWalk& walk) {
  const auto claims = walk.take_claims();
  if (walk.broken()) return false;  // the first problem is the verdict's
  if (claims.empty()) return true;
  json stated = json::array();
  for (std::size_t i = 0; i < claims.size(); ++i) {
    stated.push_back({{"i", i}, {"chain", claims[i].chain}, {"seq", claims[i].seq}, {"hash", claims[i].hash}});
  }
  const auto failed = tx.exec_params(
      "SELECT e.i, a.hash FROM jsonb_to_recordset($1::jsonb) AS e(i integer, chain text, seq bigint, hash text) "
      "LEFT JOIN audit a ON a.chain = e.chain AND a.seq = e.seq WHERE a.hash IS DISTINCT FROM e.hash "
      "ORDER BY e.i LIMIT 1",
      stated.dump());
  if (failed.empty()) return true;
  const auto& claim = claims.at(failed[0][0].as<std::size_t>());
  return walk.claim_failed(claim, failed[0][1].is_null() ? std::nullopt : std::optional(view(failed[0][1])));
}

}  // namespace

AuditHead PostgresStore::audit_head() {
  return read("reading the audit head", [&](pqxx::transaction_base& tx) { return head_in(tx); });
}

AuditVerification PostgresStore::verify_audit() {
  return read("verifying the audit trail", [&](pqxx::transaction_base& tx) {
    // One repeatable-read view: the heads and the records are of the same moment.
    std::map<std::string, AuditHead, std::less<>> heads;
    for (const auto& r : tx.exec("SELECT chain, seq, hash FROM audit_heads")) {
      heads[r[0].as<std::string>()] = {r[1].as<std::int64_t>(), r[2].as<std::string>()};
    }
    detail::TrailWalk walk(std::move(heads));
    // The fleet chain first, whole (checkpoints are compared with it), its anchors checked a batch at a
    // time; then the clinic chains, unless that found the trail altered.
    const bool fleet_whole = walk_chains(tx, walk, "chain = 'fleet'", [&] {
      check_claims(tx, walk);
      return true;
    });
    if (fleet_whole && check_claims(tx, walk)) walk_chains(tx, walk, "chain <> 'fleet'", [] { return true; });
    return walk.finish();
  });
}

// Across chains, in commit order (their id, schema_v2.sql); a clinic's records are its chain's.
Rows PostgresStore::audit_records(std::int64_t after, std::size_t limit, const AuditFilter& filter) {
  return read("reading audit records", [&](pqxx::transaction_base& tx) {
    return Select(kColumns)
        .where("id > ?", {std::to_string(after)})
        .where_if(filter.clinic, "clinic = ?")
        .where_if(filter.actor, "actor = ?")
        .where_if(filter.action, "action = ?")
        .where_if(filter.entity, "entity = ?")
        .where_if(filter.from, "at >= ?")
        .where_if(filter.to, "at < ?")
        .where_in(filter.scope, "clinic")
        .page(tx, "id", detail::page_limit(limit), record_json,
              [](const pqxx::row& r) { return std::to_string(r[12].as<std::int64_t>()); });
  });
}

std::optional<json> PostgresStore::audit_record(std::string_view chain, std::int64_t seq) {
  return read("reading an audit record", [&](pqxx::transaction_base& tx) -> std::optional<json> {
    const auto r = tx.exec_params(std::string(kColumns) + " WHERE chain = $1 AND seq = $2", std::string(chain), seq);
    if (r.empty()) return std::nullopt;
    return record_json(r[0]);
  });
}

}  // namespace sterifleet::store::postgresql
