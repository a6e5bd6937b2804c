#include "migrate_command.hpp"

#include <ostream>

#include "sterifleet/engine/engine.hpp"
#include "sterifleet/engine/policy.hpp"
#include "sterifleet/fleet/journal_actions.hpp"
#include "sterifleet/protocol/overloaded.hpp"
#include "sterifleet/store/store.hpp"
#include "store_migration.hpp"

namespace sterifleet::app {

namespace {

/// The reader of the shards' journals: it holds no lease and never writes (a writer's store is the one
/// that reads a shard's journal; its commits would be fenced out).
constexpr const char* kCheckReader = "sterifleet-migrate-check";

/// An alert as the comparison sees it: its JSON text.
using AlertTexts = std::map<std::string, std::string>;

/// The open (and acknowledged) alerts of an engine rebuilt from `store`'s journal, as a shard's owner
/// or a restarted daemon rebuilds it (fleet::Fleet::restore without a snapshot, under the default policy).
void rebuild_open_alerts(store::Store& store, AlertTexts& alerts) {
  engine::Engine engine(engine::default_policy(), protocol::Timestamp{});
  const engine::Intake intake{std::chrono::seconds{300},
                              [&](const protocol::Envelope& envelope, std::string_view payload) -> std::optional<bool> {
                                const auto stored =
                                    store.stored_payload(envelope.device.str(), envelope.boot, envelope.seq);
                                if (!stored) return std::nullopt;
                                return *stored == payload;
                              }};
  const std::int64_t before_fail_safe = store.journal_before_fail_safe();
  store.read_journal(0, [&](const store::JournalEntry& entry) {
    const bool earlier = entry.commit <= before_fail_safe;
    std::visit(Overloaded{[&](const store::StoredMessage& m) {
                            engine::RawMessage raw{m.topic, m.payload, m.received_at};
                            if (earlier) raw.judged_before_fail_safe = engine::EarlierJudgement{};
                            engine.receive(raw, intake);
                          },
                          [&](const store::QuarantinedMessage& q) {
                            engine::RawMessage raw{q.topic, q.payload, q.received_at, false, q.id};
                            if (earlier) raw.judged_before_fail_safe = engine::EarlierJudgement{q.reason};
                            engine.receive(raw, intake);
                          },
                          [&](const store::Action& a) { fleet::apply_stored(engine, a, std::chrono::seconds{300}); }},
               entry.input);
  });
  engine.for_each_alert([&](const engine::Alert& alert) {
    if (alert.active()) alerts[alert.id] = engine::to_json(alert).dump();
  });
}

/// What differs between the alerts rebuilt from SQLite (renamed as the copy renamed them) and those
/// rebuilt from the shards: one line, empty when they are the same.
std::string alert_difference(const AlertTexts& from_sqlite, const AlertTexts& from_shards, const CopySummary& copied) {
  AlertTexts expected;
  for (const auto& [id, text] : from_sqlite) {
    const auto renamed = copied.alert_ids.find(id);
    expected[renamed == copied.alert_ids.end() ? id : renamed->second] =
        remap_alert_ids(remap_quarantine_ids(text, copied.quarantine_ids), copied.alert_ids);
  }
  for (const auto& [id, text] : expected) {
    const auto found = from_shards.find(id);
    if (found == from_shards.end()) return "alert " + id + " is open after replaying SQLite but not the shards";
    if (found->second != text) return "alert " + id + " differs: " + text + " against " + found->second;
  }
  for (const auto& [id, text] : from_shards) {
    if (!expected.contains(id)) return "alert " + id + " is open after replaying the shards but not SQLite";
  }
  return {};
}

struct Checks {
  std::vector<std::string> failures;
  std::size_t open_alerts = 0;
  store::AuditVerification audit;
};

Checks verify(const MigrateOptions& options, const CopySummary& copied) {
  Checks checks;
  checks.failures = count_mismatches(options.from, options.to, copied);

  store::SqliteOptions read_only;
  read_only.read_only = true;
  const auto sqlite = store::open_sqlite(options.from, read_only);
  const auto target = store::open_postgresql(options.to);
  checks.audit = target->verify_audit();
  const auto was = sqlite->audit_head();
  if (!checks.audit.intact || !checks.audit.walked_to_end) {
    checks.failures.push_back("the audit chain on PostgreSQL does not verify: record " +
                              std::to_string(checks.audit.first_bad.value_or(0)) + ": " + checks.audit.problem);
  } else if (checks.audit.records != copied.audit_records || checks.audit.head.seq != was.seq ||
             checks.audit.head.hash != was.hash) {
    checks.failures.push_back("the audit chain on PostgreSQL ends at record " + std::to_string(checks.audit.head.seq) +
                              " (" + checks.audit.head.hash + "), the SQLite one at " + std::to_string(was.seq) + " (" +
                              was.hash + ")");
  }

  AlertTexts from_sqlite;
  rebuild_open_alerts(*sqlite, from_sqlite);
  AlertTexts from_shards;
  for (const auto& [shard, commits] : copied.commits) {
    store::PostgresOptions reader;
    reader.writer = store::ShardWriter{shard, 0, kCheckReader};
    reader.readers = 1;
    const auto shard_store = store::open_postgresql(options.to, reader);
    rebuild_open_alerts(*shard_store, from_shards);
  }
  checks.open_alerts = from_shards.size();
  if (const auto difference = alert_difference(from_sqlite, from_shards, copied); !difference.empty()) {
    checks.failures.push_back("open alerts: " + difference);
  }
  return checks;
}

void print_summary(std::ostream& out, const MigrateOptions& options, const CopySummary& copied, const Checks& checks) {
  out << "copied " << options.from << " into " << copied.commits.size() << " of " << options.shards << " shards ("
      << copied.clinics.size() << " clinics registered)\n";
  for (const auto& table : copied.tables) {
    out << "  " << table.table << ": " << table.to;
    if (table.to != table.from) out << " (" << table.from << " in SQLite; clock and policy entries go to every shard)";
    out << '\n';
  }
  for (const auto& [shard, commits] : copied.commits) {
    out << "  shard " << shard << ": " << commits << " commits\n";
  }
  if (!copied.quarantine_ids.empty()) {
    out << "  quarantine ids renumbered id*1024+shard (" << copied.alert_ids.size()
        << " alerts named after one renamed with them); the audit trail keeps the old names\n";
  }
  out << "audit chain: " << checks.audit.records << " records verify on PostgreSQL, head " << checks.audit.head.seq
      << " " << checks.audit.head.hash << " as in SQLite\n";
  out << "open alerts: " << checks.open_alerts << ", the same rebuilt from the shards' journals as from SQLite's\n";
  out << "snapshots were not copied: each shard replays its journal on its first start\n";
}

/// "clinic=shard" each; throws std::invalid_argument naming the one that is not.
std::map<protocol::ClinicId, cluster::Shard> parse_pins(const std::vector<std::string>& texts) {
  std::map<protocol::ClinicId, cluster::Shard> pins;
  for (const auto& text : texts) {
    const auto equals = text.find('=');
    std::size_t used = 0;
    int shard = -1;
    try {
      if (equals != std::string::npos) shard = std::stoi(text.substr(equals + 1), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (equals == std::string::npos || equals == 0 || used == 0 || used != text.size() - equals - 1) {
      throw std::invalid_argument("--pin " + text + ": expected clinic=shard, e.g. --pin north=3");
    }
    if (!pins.emplace(protocol::ClinicId(text.substr(0, equals)), shard).second) {
      throw std::invalid_argument("--pin " + text + ": the clinic is pinned twice");
    }
  }
  return pins;
}

}  // namespace

int migrate_store(const MigrateOptions& options, std::ostream& out) {
  CopySummary copied;
  try {
    const cluster::ShardMap map(options.shards, parse_pins(options.pins));
    copied = copy_sqlite_to_postgresql(options.from, options.to, map);
  } catch (const std::exception& e) {
    out << "migrate: nothing copied: " << e.what() << '\n';
    return migrate_refused;
  }
  try {
    const auto checks = verify(options, copied);
    if (!checks.failures.empty()) {
      out << "migrate: copied, but the copy does not match: do not use it (drop the database before trying again)\n";
      for (const auto& failure : checks.failures) out << "  " << failure << '\n';
      return migrate_mismatch;
    }
    print_summary(out, options, copied, checks);
    return migrate_verified;
  } catch (const std::exception& e) {
    out << "migrate: copied, but verifying it failed: " << e.what()
        << "; do not use it (drop the database before trying again)\n";
    return migrate_mismatch;
  }
}

}  // namespace sterifleet::app
