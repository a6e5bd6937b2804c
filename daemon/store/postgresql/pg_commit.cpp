// The PostgreSQL store's commit path: one transaction per Commit (or per group of them), fenced by the
// shard's lease, every statement prepared once (pg_store.cpp prepares them).
#include <algorithm>

#include "../src/audit_chain.hpp"
#include "pg_reads.hpp"
#include "pg_store.hpp"
#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::store::postgresql {

namespace {

std::string chain_of(const engine::AuditRecord& record) {
  return record.clinic.empty() ? std::string(fleet_chain) : clinic_chain(record.clinic);
}

/// libpq's text form of a nullable parameter: a null pointer is SQL NULL.
const char* nullable(const std::optional<std::string>& text) { return text ? text->c_str() : nullptr; }

std::optional<std::string> text_of(const std::optional<std::int64_t>& n) {
  return n ? std::optional(std::to_string(*n)) : std::nullopt;
}

pqxx::binarystring bytes(const std::string& data) { return pqxx::binarystring(data.data(), data.size()); }

std::string message_key(const StoredMessage& m) {
  if (!m.seq) return "status of " + m.device;
  return m.device + "/" + std::to_string(m.boot) + "/" + std::to_string(*m.seq);
}

/// Runs one row's statement; its failure names the commit and the row, and keeps the fence's SF001.
template <class... Args>
pqxx::result exec_row(pqxx::transaction_base& tx, std::int64_t n, const std::string& row, const std::string& statement,
                      Args&&... args) {
  try {
    return tx.exec_prepared(statement, std::forward<Args>(args)...);
  } catch (const pqxx::pqxx_exception&) {
    rethrow_as_store_error("commit " + std::to_string(n) + ": storing " + row);
  }
}

bool is_sha256_hex(const std::string& text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

std::int64_t PostgresStore::commit(const Commit& commit) { return commit_group({&commit, 1}, std::nullopt); }

std::int64_t PostgresStore::commit_group(std::span<const Commit> commits, std::optional<std::int64_t> receipt) {
  const auto& me = shard_writer();
  const bool empty = std::all_of(commits.begin(), commits.end(), [](const Commit& c) { return c.empty(); });
  if (empty && !receipt) {
    return read("reading the last commit", [&](pqxx::transaction_base& tx) {
      return tx.exec_params1("SELECT coalesce(max(seq), 0) FROM commits WHERE shard = $1", me.shard)[0]
          .as<std::int64_t>();
    });
  }
  return write("committing to shard " + std::to_string(me.shard), [&](pqxx::transaction_base& tx) {
    tx.exec_prepared("lock_shard", me.shard);
    std::optional<std::int64_t> last;
    AuditAppend audit;
    for (const auto& commit : commits) {
      if (!commit.empty()) last = write_commit(tx, commit, audit);
    }
    append_fleet_records(tx, audit);
    store_audit(tx, audit);
    if (!last) {  // a receipt alone: no commits row fenced it
      hold_lease(tx);
      last = tx.exec_prepared1("last_commit", me.shard)[0].as<std::int64_t>();
    }
    if (receipt) tx.exec_prepared0("update_receipt", me.shard, *receipt);
    return *last;
  });
}

std::int64_t PostgresStore::write_commit(pqxx::transaction_base& tx, const Commit& commit, AuditAppend& audit) {
  const auto& me = *writer_;
  // First: the fencing trigger refuses it (FencedOut) unless the lease is held.
  const std::int64_t n = tx.exec_prepared1("fence", me.shard, me.epoch, me.owner)[0].as<std::int64_t>();
  for (const auto& m : commit.messages) {
    exec_row(tx, n, "message " + message_key(m), "insert_message", me.shard, n, millis(m.received_at), m.topic,
             m.payload, m.clinic, m.device, std::int64_t{m.boot},
             nullable(text_of(m.seq ? std::optional(static_cast<std::int64_t>(*m.seq)) : std::nullopt)),
             nullable(text_of(m.ts ? std::optional(millis(*m.ts)) : std::nullopt)), m.type);
  }
  for (const auto& q : commit.quarantined) {
    const auto what = "quarantined message on " + q.topic;
    const std::int64_t id =
        q.id > 0 ? q.id
                 : exec_row(tx, n, what, "next_quarantine_id", me.shard, kQuarantineIdStride)[0][0].as<std::int64_t>();
    const auto topic = protocol::parse_topic(q.topic);
    const auto clinic = topic ? std::optional(topic->clinic.str()) : std::nullopt;
    const auto device = topic ? std::optional(topic->device.str()) : std::nullopt;
    exec_row(tx, n, what, "insert_quarantine", id, me.shard, n, millis(q.received_at), q.topic, bytes(q.payload),
             q.reason, q.detail, nullable(clinic), nullable(device));
  }
  for (const auto& a : commit.actions) {
    exec_row(tx, n, "action " + a.kind + " by " + a.actor, "insert_action", me.shard, n, millis(a.at), a.actor, a.kind,
             detail::json_text(a.body));
  }
  for (const auto& change : commit.alerts) {
    const auto& alert = change.alert;
    exec_row(tx, n, "alert " + alert.id, "upsert_alert", alert.id, me.shard, alert.clinic.str(),
             std::string(engine::to_string(alert.rule)), std::string(engine::to_string(alert.state())),
             alert.episode.device.str(), millis(alert.episode.opened_at),
             std::string(engine::to_string(change.transition)), n, detail::json_text(engine::to_json(alert)));
  }
  for (const auto& change : commit.sessions) {
    exec_row(tx, n, "session " + change.pen.str() + "/" + change.session.id.str(), "upsert_session", change.pen.str(),
             change.session.id.str(), me.shard, change.clinic.str(), millis(change.session.started), n,
             detail::json_text(engine::to_json(change)));
  }
  for (const auto& change : commit.cycles) {
    const auto& cycle = change.cycle;
    exec_row(tx, n, "cycle " + cycle.key, "upsert_cycle", cycle.key, me.shard, cycle.clinic.str(),
             cycle.sterilizer.str(), millis(cycle.ts), n, detail::json_text(engine::to_json(cycle)));
  }
  for (const auto& record : commit.audit) {
    if (record.clinic.empty()) {
      audit.fleet.emplace_back(n, &record);  // appended last: the fleet chain's head is every shard's
    } else {
      append_audit(tx, n, chain_of(record), record, audit);
    }
  }
  for (const auto& c : commit.commands) {
    exec_row(tx, n, "command " + c.id, "insert_command", c.id, me.shard, n, millis(c.issued_at), c.clinic, c.device,
             c.topic, c.payload);
  }
  if (!commit.cancellations.empty() || !commit.notifications.empty()) {
    try {
      write_outbox(tx, me.shard, n, commit.cancellations, commit.notifications);
    } catch (const pqxx::pqxx_exception&) {
      rethrow_as_store_error("commit " + std::to_string(n) + ": storing its notifications");
    }
  }
  write_tokens(tx, n, commit);
  for (const auto id : commit.lobby_taken) {
    // Only this shard's owner takes its rows: one already gone was judged twice.
    if (exec_row(tx, n, "the lobby's message " + std::to_string(id), "take_lobby_message", id, me.shard)
            .affected_rows() != 1) {
      throw StoreError("commit " + std::to_string(n) + ": the lobby's message " + std::to_string(id) +
                       " is not waiting for shard " + std::to_string(me.shard));
    }
  }
  if (commit.api_command) {
    const auto done = exec_row(tx, n, "the completion of API command " + std::to_string(*commit.api_command),
                               "complete_api_command", *commit.api_command, me.shard, me.epoch, n);
    if (done.affected_rows() != 1) {
      throw StoreError("commit " + std::to_string(n) + ": API command " + std::to_string(*commit.api_command) +
                       " is not running on shard " + std::to_string(me.shard) + " under epoch " +
                       std::to_string(me.epoch) + ": not applied twice");
    }
  }
  return n;
}

// A chain's head is locked by its first append in the transaction: a clinic's only by its shard's
// owner, the fleet chain's by every shard in turn, so that one is taken last and held shortest.
void PostgresStore::append_audit(pqxx::transaction_base& tx, std::int64_t n, const std::string& chain,
                                 const engine::AuditRecord& record, AuditAppend& audit) {
  auto head = audit.heads.find(chain);
  if (head == audit.heads.end()) {
    const auto r = exec_row(tx, n, "the head of audit chain " + chain, "lock_audit_head", chain,
                            std::string(detail::genesis_hash));
    head = audit.heads.emplace(chain, AuditHead{r[0][0].as<std::int64_t>(), r[0][1].as<std::string>()}).first;
  }
  auto& [seq, prev] = head->second;
  auto text = detail::audit_text(record);
  audit.canonical.clear();
  detail::append_canonical(audit.canonical, {seq + 1, text.at, text.actor, text.entity, text.action, text.before,
                                             text.after, text.cause, prev, text.clinic});
  auto hash = std::string(detail::view(detail::link_hash(audit.sha256, prev, audit.canonical)));
  seq += 1;
  audit.records.push_back({n, chain, seq, millis(record.at), std::move(text.actor), std::move(text.entity),
                           std::move(text.action), std::move(text.before), std::move(text.after), std::move(text.cause),
                           prev, hash, std::move(text.clinic)});
  prev = std::move(hash);
}

void PostgresStore::store_audit(pqxx::transaction_base& tx, AuditAppend& audit) {
  if (audit.records.empty()) return;
  const auto count = static_cast<std::int64_t>(audit.records.size());
  const auto taken =
      exec_row(tx, audit.records.back().commit, "the audit listing's positions", "take_audit_positions", count)[0][0]
          .as<std::int64_t>();
  const std::int64_t first = taken - count + 1;
  for (std::int64_t i = 0; i < count; ++i) {
    const auto& r = audit.records[static_cast<std::size_t>(i)];
    exec_row(tx, r.commit, "record " + std::to_string(r.seq) + " of audit chain " + r.chain, "insert_audit", r.chain,
             r.seq, writer_->shard, r.commit, r.at, r.actor, r.entity, r.action, r.before, r.after, r.cause,
             r.prev_hash, r.hash, r.clinic.empty() ? nullptr : r.clinic.c_str(), first + i);
  }
  for (const auto& [chain, head] : audit.heads) {
    tx.exec_prepared0("update_audit_head", chain, head.seq, head.hash, writer_->shard);
  }
  audit.records.clear();
}

void PostgresStore::append_fleet_records(pqxx::transaction_base& tx, AuditAppend& audit) {
  for (const auto& [n, record] : audit.fleet) append_audit(tx, n, std::string(fleet_chain), *record, audit);
  audit.fleet.clear();
}

std::size_t PostgresStore::anchor_audit_chains(Timestamp at) {
  const auto& me = shard_writer();
  return write("anchoring the audit chains of shard " + std::to_string(me.shard), [&](pqxx::transaction_base& tx) {
    tx.exec_prepared("lock_shard", me.shard);
    const auto moved = tx.exec_prepared("moved_audit_chains", me.shard);
    if (moved.empty()) return std::size_t{0};
    const std::int64_t n = tx.exec_prepared1("fence", me.shard, me.epoch, me.owner)[0].as<std::int64_t>();
    nlohmann::json chains = nlohmann::json::object();
    for (const auto& r : moved) {
      chains[r[0].as<std::string>()] = {{"seq", r[1].as<std::int64_t>()}, {"hash", r[2].as<std::string>()}};
      tx.exec_prepared0("mark_anchored", r[0].as<std::string>(), r[1].as<std::int64_t>());
    }
    const engine::AuditRecord anchor{at,
                                     "shard:" + std::to_string(me.shard),
                                     std::string(anchor_entity),
                                     std::string(anchor_action),
                                     nlohmann::json::object(),
                                     {{"chains", std::move(chains)}},
                                     "the heads of the clinic chains shard " + std::to_string(me.shard) +
                                         " appended to, for checkpoints of the fleet chain to cover them",
                                     ""};
    AuditAppend audit;
    append_audit(tx, n, std::string(fleet_chain), anchor, audit);
    store_audit(tx, audit);
    return static_cast<std::size_t>(moved.size());
  });
}

// Rare writes (a person makes or revokes a token): not prepared.
void PostgresStore::write_tokens(pqxx::transaction_base& tx, std::int64_t n, const Commit& commit) {
  const auto fail = [&](const std::string& row, const std::string& error) {
    throw StoreError("commit " + std::to_string(n) + ": storing " + row + ": " + error);
  };
  for (const auto& [token, sha256_hex] : commit.new_tokens) {
    if (!is_sha256_hex(sha256_hex)) fail("token " + token.id, "its hash is not 64 lowercase hex digits");
    const auto clinics = token.clinics.all() ? std::nullopt : std::optional(token.clinics.to_json().dump());
    try {
      tx.exec_params0(
          "INSERT INTO tokens (id, sha256, name, role, created_at, revoked, clinics) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7)",
          token.id, sha256_hex, token.name, token.role, millis(token.created_at), token.revoked, nullable(clinics));
    } catch (const pqxx::pqxx_exception&) {
      rethrow_as_store_error("commit " + std::to_string(n) + ": storing token " + token.id + " named " + token.name);
    }
  }
  for (const auto& id : commit.revoked_tokens) {
    pqxx::result r;
    try {
      r = tx.exec_params0("UPDATE tokens SET revoked = true WHERE id = $1", id);
    } catch (const pqxx::pqxx_exception&) {
      rethrow_as_store_error("commit " + std::to_string(n) + ": storing the revocation of token " + id);
    }
    if (r.affected_rows() == 0) fail("the revocation of token " + id, "no such token");
  }
}

}  // namespace sterifleet::store::postgresql
