// The daemon's heart: the compliance engine and the store behind one lock, so that every input is
// judged and stored atomically and in one order. Inputs are device messages (MQTT), people's actions
// (HTTP) and the clock. Nothing is acknowledged before it is committed, and commands to devices go out
// only after the commit that decided them. On start the engine is rebuilt by re-running the store's
// journal through the same code paths, so the rebuilt state is exactly the state that was stored; to
// keep that bounded, the engine's state is snapshotted into the store now and then (after so many
// journal entries or minutes, and on a clean stop), and a restart loads the newest snapshot and
// re-runs only the journal after it. A snapshot it cannot use makes it re-run more of the journal,
// never start from a wrong state.
//
// Thread-safety: every public member may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sterifleet/core/command_sink.hpp"
#include "sterifleet/core/event_bus.hpp"
#include "sterifleet/core/journal_actions.hpp"
#include "sterifleet/core/metrics.hpp"
#include "sterifleet/engine/engine.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::core {

using protocol::Timestamp;

struct FleetOptions {
  std::chrono::seconds max_clock_skew{300};
  std::chrono::hours retention{24 * 7};  ///< history the engine keeps in memory (the store keeps all)
  std::chrono::minutes compaction_interval{60};
  /// A snapshot once this many journal entries came since the last one (0: not by count)...
  std::int64_t snapshot_every = 1'000'000;
  /// ...or once this long passed with any entry since the last one (0: not by time).
  std::chrono::minutes snapshot_interval{60};
};

class Fleet {
 public:
  using Clock = std::function<Timestamp()>;

  Fleet(engine::Policy policy, store::Store& store, CommandSink& commands, EventBus& events, Metrics& metrics,
        Clock clock, FleetOptions options = {});

  struct RestoreStats {
    std::optional<std::int64_t> snapshot;  ///< the commit of the snapshot it started from
    std::int64_t entries = 0;              ///< journal entries re-run (after the snapshot)
    double seconds = 0;
    std::vector<std::string> warnings;  ///< snapshots it could not use, and why
  };
  /// Rebuilds the engine from the newest usable snapshot and the journal after it (from the whole
  /// journal without one) and records this start; call once, before any input.
  RestoreStats restore();

  struct SnapshotStats {
    std::int64_t commit = 0;  ///< the journal position it reflects
    std::size_t bytes = 0;
    double locked_seconds = 0;  ///< compaction and serialisation, under the lock: every input waits
    double store_seconds = 0;   ///< storing it, outside the lock (commits still wait for the store)
  };
  /// Compacts the engine (a journaled compaction, as tick() does) and stores a snapshot of it. tick()
  /// calls it when one is due; call it on a clean stop. Throws StoreError.
  SnapshotStats snapshot();

  enum class Disposition { stored, duplicate, quarantined };
  struct Ingested {
    Disposition disposition = Disposition::stored;
    std::string reason;  ///< quarantine reason code
    std::string detail;
  };
  /// One MQTT message, received now. Returns once it is durably stored (or known to be a redelivery).
  /// A retained status that changes nothing is the broker replaying it on subscribe: not stored again.
  Ingested ingest(std::string_view topic, std::string_view payload, bool retained = false);

  struct Received {
    std::string_view topic;
    std::string_view payload;
    bool retained = false;
    std::chrono::steady_clock::time_point arrived;  ///< for the arrival-to-commit latency metric
  };
  /// Messages in arrival order, judged one after the other as ingest() would and stored in one
  /// transaction, each its own journal entry. `receipt` is recorded with them (Store::last_receipt).
  /// Returns once all are durably stored: one result a message, in order.
  std::vector<Ingested> ingest(std::span<const Received> batch, std::optional<std::int64_t> receipt);

  struct Outcome {
    std::optional<engine::Refusal> refusal;
    bool ok() const { return !refusal; }
  };
  Outcome acknowledge(const std::string& alert_id, const std::string& actor, std::string comment);
  Outcome resolve(const std::string& alert_id, const std::string& actor, std::string reason);
  /// `entry`: {"clinic", "id", "at"?, "cycle"}, read by read_manual_reprocessing (journal_actions.hpp),
  /// so errors name the field.
  Outcome manual_reprocessing(const nlohmann::json& entry, const std::string& actor);
  Outcome maintenance(const std::string& device, Timestamp from, Timestamp to, std::string reason,
                      const std::string& actor);
  /// The broker connection is (back) up: silence while the daemon could not hear the devices is not
  /// held against them. Journaled like a start, so a restart replays it. Throws StoreError.
  Outcome broker_connected();
  /// An audit record of something outside the engine (a report made for an auditor), committed in
  /// turn with every other input. Throws StoreError.
  void record_audit(engine::AuditRecord record);
  /// Checks and applies a new policy file; returns its errors (nothing changes then).
  std::vector<engine::PolicyError> reload_policy(const std::string& text, const std::string& source,
                                                 const std::string& actor);

  /// Time passes: offline detection, repeat notifications, metrics gauges, compaction and snapshot
  /// when due.
  void tick();

  /// Runs `visit` on the engine under the lock (keep it short: ingest waits).
  template <class F>
  auto read(F&& visit) {
    std::lock_guard lock(mutex_);
    return visit(std::as_const(engine_));
  }
  store::Store& store() { return store_; }

 private:
  struct Staged {
    engine::Effects effects;
    store::Commit commit;
  };
  /// `earlier`: the batch's messages judged before this one and not yet stored; `quarantine_id`: the
  /// id the message is kept under if it is quarantined.
  Ingested run_message(std::string_view topic, std::string_view payload, Timestamp received_at, Staged& staged,
                       bool retained = false, std::span<const Staged> earlier = {}, std::int64_t quarantine_id = 0);
  std::optional<bool> same_as_stored(const protocol::Envelope& envelope, std::string_view payload,
                                     std::span<const Staged> earlier);

  void replay(const store::JournalEntry& entry);
  /// Loads the newest snapshot the engine can use into engine_, trying older ones after a failure.
  void load_snapshot(RestoreStats& stats);
  Outcome act(const std::string& actor, ActionKind what);
  /// tick() under the lock; true when a snapshot is due.
  bool tick_locked();
  void compact(Timestamp now);
  bool snapshot_due(Timestamp now) const;
  /// Stores what the inputs produced (one transaction) and then sends its commands and events.
  void finish(std::span<Staged> staged, Timestamp now, std::optional<std::int64_t> receipt = std::nullopt);
  void finish(Staged& staged, Timestamp now) { finish({&staged, 1}, now); }
  void publish_events(const store::Commit& commit);

  std::mutex mutex_;
  engine::Engine engine_;
  store::Store& store_;
  CommandSink& commands_;
  EventBus& events_;
  Metrics& metrics_;
  Clock clock_;
  FleetOptions options_;
  std::span<const Staged> earlier_;  ///< the group's messages judged before the one being judged
  engine::Intake intake_;            ///< asks the store, and earlier_, what a key was stored with
  Timestamp next_compaction_{};
  std::optional<Timestamp> compacted_at_;
  std::int64_t journal_position_ = 0;  ///< the last commit: what the engine reflects
  std::int64_t entries_since_snapshot_ = 0;
  Timestamp next_snapshot_{};
  std::uint64_t command_counter_ = 0;
  std::int64_t last_quarantine_id_ = 0;        ///< quarantine ids are numbered here, so alerts can name them
  std::int64_t journal_before_fail_safe_ = 0;  ///< the last commit judged before fail-safe judging
  std::string command_prefix_;
};

}  // namespace sterifleet::core
