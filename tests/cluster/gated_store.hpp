// A store that hands everything to a real one, except that the test decides what happens around each
// group commit that stores device messages (a start or a reconnection commits too): wait, fail, or end
// the process before the caller hears of it.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>

#include "sterifleet/store/store.hpp"

namespace sterifleet::ingest::testing {

using namespace sterifleet::store;

class GatedStore final : public Store {
 public:
  struct Gates {
    std::function<void()> before_commit;  ///< may throw StoreError: nothing is stored then
    std::function<void()> after_commit;   ///< the group is stored; the caller has not been told
  };
  GatedStore(std::unique_ptr<Store> store, Gates gates) : store_(std::move(store)), gates_(std::move(gates)) {}

  std::int64_t commit_group(std::span<const Commit> commits, std::optional<std::int64_t> receipt) override {
    const bool gated = std::any_of(commits.begin(), commits.end(), [](const Commit& c) { return !c.messages.empty(); });
    if (gated && gates_.before_commit) gates_.before_commit();
    const auto last = store_->commit_group(commits, receipt);
    if (gated && gates_.after_commit) gates_.after_commit();
    return last;
  }
  std::int64_t commit(const Commit& commit) override { return store_->commit(commit); }
  std::int64_t last_receipt() override { return store_->last_receipt(); }
  std::int64_t last_quarantine_id() override { return store_->last_quarantine_id(); }
  std::int64_t quarantine_id_after(std::int64_t id) const override { return store_->quarantine_id_after(id); }
  std::optional<std::string> stored_payload(const std::string& device, std::uint32_t boot, std::uint64_t seq) override {
    return store_->stored_payload(device, boot, seq);
  }
  void read_journal(std::int64_t after_commit, const std::function<void(const JournalEntry&)>& visit) override {
    return store_->read_journal(after_commit, visit);
  }
  void save_snapshot(const Snapshot& snapshot) override { return store_->save_snapshot(snapshot); }
  std::int64_t journal_before_fail_safe() override { return store_->journal_before_fail_safe(); }
  std::optional<Snapshot> latest_snapshot_before(std::int64_t commit) override {
    return store_->latest_snapshot_before(commit);
  }
  AuditHead audit_head() override { return store_->audit_head(); }
  AuditVerification verify_audit() override { return store_->verify_audit(); }
  using Store::audit_records;
  Rows audit_records(std::int64_t after_seq, std::size_t limit, const AuditFilter& filter) override {
    return store_->audit_records(after_seq, limit, filter);
  }
  std::optional<nlohmann::json> audit_record(std::string_view chain, std::int64_t seq) override {
    return store_->audit_record(chain, seq);
  }
  std::size_t anchor_audit_chains(Timestamp at) override { return store_->anchor_audit_chains(at); }
  Rows alerts(const AlertQuery& query) override { return store_->alerts(query); }
  std::optional<nlohmann::json> alert(const std::string& id) override { return store_->alert(id); }
  Rows sessions(const RecordQuery& query) override { return store_->sessions(query); }
  Rows cycles(const RecordQuery& query) override { return store_->cycles(query); }
  std::optional<nlohmann::json> cycle(const std::string& key) override { return store_->cycle(key); }
  void scan_sessions(const RecordFilter& filter, const RowVisitor& visit) override {
    return store_->scan_sessions(filter, visit);
  }
  void scan_cycles(const RecordFilter& filter, const RowVisitor& visit) override {
    return store_->scan_cycles(filter, visit);
  }
  Rows messages(const RecordQuery& query) override { return store_->messages(query); }
  Rows quarantine(const RecordQuery& query) override { return store_->quarantine(query); }
  std::optional<nlohmann::json> quarantined(std::int64_t id) override { return store_->quarantined(id); }
  std::map<std::string, std::int64_t> quarantine_counts() override { return store_->quarantine_counts(); }
  Rows commands(const RecordQuery& query) override { return store_->commands(query); }
  StoreStats stats() override { return store_->stats(); }
  std::vector<PendingNotification> due_notifications(Timestamp until, std::size_t limit) override {
    return store_->due_notifications(until, limit);
  }
  std::optional<Timestamp> next_notification_due() override { return store_->next_notification_due(); }
  void record_attempts(std::span<const DeliveryAttempt> attempts) override { return store_->record_attempts(attempts); }
  std::vector<PendingNotification> disable_receiver(const std::string& receiver, Timestamp at,
                                                    const std::string& answer) override {
    return store_->disable_receiver(receiver, at, answer);
  }
  bool enable_receiver(const std::string& receiver) override { return store_->enable_receiver(receiver); }
  std::map<std::string, nlohmann::json> disabled_receivers() override { return store_->disabled_receivers(); }
  std::vector<nlohmann::json> notifications(const NotificationQuery& query) override {
    return store_->notifications(query);
  }
  std::map<std::string, std::int64_t> notification_counts(const ClinicScope& scope) override {
    return store_->notification_counts(scope);
  }
  std::optional<TokenRecord> token_by_hash(const std::string& sha256_hex) override {
    return store_->token_by_hash(sha256_hex);
  }
  std::vector<TokenRecord> tokens() override { return store_->tokens(); }

 private:
  std::unique_ptr<Store> store_;
  Gates gates_;
};

}  // namespace sterifleet::ingest::testing
