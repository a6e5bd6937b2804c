// The read side and the notification outbox of the PostgreSQL back-end, as functions over a transaction
// that PostgresStore opens: reads in a read-only transaction on one of its reading connections, outbox
// writes in the writer's transaction. Rows, orders, cursors and errors are the ones store.hpp documents
// (the store contract suite holds both back-ends to them).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <span>
#include <string>
#include <vector>

#include "sterifleet/store/store.hpp"

namespace sterifleet::store::postgresql {

Rows alerts(pqxx::transaction_base& tx, const AlertQuery& query);
std::optional<nlohmann::json> alert(pqxx::transaction_base& tx, const std::string& id);
Rows sessions(pqxx::transaction_base& tx, const RecordQuery& query);
Rows cycles(pqxx::transaction_base& tx, const RecordQuery& query);
std::optional<nlohmann::json> cycle(pqxx::transaction_base& tx, const std::string& key);
/// Streams through a cursor: the transaction is the one consistent view.
void scan_sessions(pqxx::transaction_base& tx, const RecordFilter& filter, const RowVisitor& visit);
void scan_cycles(pqxx::transaction_base& tx, const RecordFilter& filter, const RowVisitor& visit);
Rows messages(pqxx::transaction_base& tx, const RecordQuery& query);
Rows quarantine(pqxx::transaction_base& tx, const RecordQuery& query);
std::optional<nlohmann::json> quarantined(pqxx::transaction_base& tx, std::int64_t id);
std::map<std::string, std::int64_t> quarantine_counts(pqxx::transaction_base& tx);
Rows commands(pqxx::transaction_base& tx, const RecordQuery& query);

/// Outbox rows of one commit, written by PostgresStore::commit in its transaction (cancellations first).
/// Each shard's outbox is its own: its owner reads, cancels and records only the rows of `shard`.
void write_outbox(pqxx::transaction_base& tx, int shard, std::int64_t commit_seq,
                  std::span<const OutboxCancel> cancellations, std::span<const OutboxRow> notifications);
std::vector<PendingNotification> due_notifications(pqxx::transaction_base& tx, int shard, Timestamp until,
                                                   std::size_t limit);
std::optional<Timestamp> next_notification_due(pqxx::transaction_base& tx, int shard);
void record_attempts(pqxx::transaction_base& tx, int shard, std::span<const DeliveryAttempt> attempts);
/// Remembers the receiver as disabled (fleet-wide) and buries the pending rows of `shard`.
std::vector<PendingNotification> disable_receiver(pqxx::transaction_base& tx, int shard, const std::string& receiver,
                                                  Timestamp at, const std::string& answer);
bool enable_receiver(pqxx::transaction_base& tx, const std::string& receiver);
std::map<std::string, nlohmann::json> disabled_receivers(pqxx::transaction_base& tx);
std::vector<nlohmann::json> notifications(pqxx::transaction_base& tx, const NotificationQuery& query);
std::map<std::string, std::int64_t> notification_counts(pqxx::transaction_base& tx, const ClinicScope& scope);

}  // namespace sterifleet::store::postgresql
