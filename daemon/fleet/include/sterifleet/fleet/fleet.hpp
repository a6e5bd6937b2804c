// The daemon's heart: the compliance engine and the store, driven in one order, so that every input is
// judged and stored atomically. Inputs are device messages (MQTT), people's actions (HTTP) and the
// clock. Nothing is acknowledged before it is committed, and commands to devices go out only after the
// commit that decided them. On start the engine is rebuilt by re-running the store's journal through
// the same code paths, so the rebuilt state is exactly the state that was stored; to keep that
// bounded, the engine's state is snapshotted into the store now and then (after so many journal
// entries or minutes, and on a clean stop), and a restart loads the newest snapshot and re-runs only
// the journal after it. A snapshot it cannot use makes it re-run more of the journal, never start from
// a wrong state.
//
// Thread-safety: every public member may be called from any thread. Inputs take turns (one input lock,
// held from judging to the end of the commit). Reads never wait for a commit: view() is an immutable
// value published after each group of inputs, and read() shares the engine with the input path, which
// holds the engine exclusively only while it applies one input (microseconds), never while the store
// commits or a snapshot is serialised.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "sterifleet/engine/engine.hpp"
#include "sterifleet/fleet/command_sink.hpp"
#include "sterifleet/fleet/engine_lock.hpp"
#include "sterifleet/fleet/event_bus.hpp"
#include "sterifleet/fleet/fleet_front.hpp"
#include "sterifleet/fleet/fleet_view.hpp"
#include "sterifleet/fleet/journal_actions.hpp"
#include "sterifleet/fleet/metrics.hpp"
#include "sterifleet/fleet/outbox_planner.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::fleet {

using protocol::Timestamp;

struct FleetOptions {
  std::chrono::seconds max_clock_skew{300};
  std::chrono::hours retention{24 * 7};  ///< history the engine keeps in memory (the store keeps all)
  std::chrono::minutes compaction_interval{60};
  /// A snapshot once this many journal entries came since the last one (0: not by count)...
  std::int64_t snapshot_every = 1'000'000;
  /// ...or once this long passed with any entry since the last one (0: not by time).
  std::chrono::minutes snapshot_interval{60};
  /// How often the clock anchors the clinic audit chains the store moved into its fleet chain
  /// (store::Store::anchor_audit_chains; a store of one chain has none).
  std::chrono::seconds audit_anchor_interval{60};
};

class Fleet final : public FleetFront {
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
  /// Alert transitions from now on are also handed to `planner` (it must outlive the fleet); call before
  /// any input. Without one, alerts notify nobody.
  void plan_notifications_with(OutboxPlanner& planner) { planner_ = &planner; }

  /// Rebuilds the engine from the newest usable snapshot and the journal after it (from the whole
  /// journal without one) and records this start; call once, before any input.
  RestoreStats restore();

  /// Replica mode, for a shard another daemon judges (app::ShardReplicas): rebuilds the engine as
  /// restore() does, from the same snapshot and journal through the same replay, but is no input of its
  /// own: nothing is judged, stored, sent, published or planned, and no Start is recorded. Afterwards only
  /// catch_up() changes the engine; inputs, tick() and snapshot() must not be called. Call once; again
  /// only after it threw (StoreError): it then starts over from the newest snapshot, or goes on from the
  /// last entry it replayed, since the engine reflects exactly the journal up to journal_position().
  RestoreStats follow();
  /// Replica mode: replays the journal after journal_position(), as a restart would, and publishes the
  /// view of what changed; returns the entries replayed. Readers wait for one entry at a time only.
  std::int64_t catch_up();
  /// The last journal entry's commit the engine reflects (the snapshot's when none came after it).
  std::int64_t journal_position();

  struct SnapshotStats {
    std::int64_t commit = 0;  ///< the journal position it reflects
    std::size_t bytes = 0;
    double locked_seconds = 0;  ///< compaction and serialisation: inputs wait, reads do not
    double store_seconds = 0;   ///< storing it, outside the input lock (commits still wait for the store)
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
    /// The cluster's lobby_messages row it was kept in (0: none), deleted by the commit that judges it.
    std::int64_t lobby_id = 0;
  };
  /// Messages in arrival order, judged one after the other as ingest() would and stored in one
  /// transaction, each its own journal entry. `receipt` is recorded with them (Store::last_receipt).
  /// Returns once all are durably stored: one result a message, in order.
  std::vector<Ingested> ingest(std::span<const Received> batch, std::optional<std::int64_t> receipt);

  using Outcome = fleet::Outcome;
  Outcome acknowledge(const std::string& alert_id, const std::string& actor, std::string comment) override;
  Outcome resolve(const std::string& alert_id, const std::string& actor, std::string reason) override;
  Outcome manual_reprocessing(const nlohmann::json& entry, const std::string& actor) override;
  Outcome maintenance(const std::string& device, Timestamp from, Timestamp to, std::string reason,
                      const std::string& actor) override;
  /// The broker connection is (back) up: silence while the daemon could not hear the devices is not
  /// held against them. Journaled like a start, so a restart replays it. Throws StoreError.
  Outcome broker_connected();
  /// A notification of an alert was given up on (daemon/notify's dispatcher): delivery.failed for
  /// (clinic, receiver) opens, or counts another occurrence. Journaled like a person's action, so a
  /// restart rebuilds it. Throws StoreError.
  Outcome delivery_failed(engine::DeliveryFailure failure);
  /// A delivery to `receiver` for `clinic` succeeded: its delivery.failed alert, if its condition still
  /// holds, is resolved ("delivered again"); otherwise nothing is journaled. Throws StoreError.
  Outcome delivery_recovered(const std::string& receiver, const std::string& clinic);
  Outcome create_token(store::NewToken token, const std::string& actor, std::string cause) override;
  Outcome revoke_token(const std::string& id, const std::string& actor, std::string cause) override;
  /// Committed in turn with every other input.
  void record_audit(engine::AuditRecord record) override;
  /// What a person's action run as a cluster's API command came to: its outcome and, when done, the
  /// shard's commit that applied it (and marked the command done).
  struct CommandRun {
    Outcome outcome;
    std::optional<std::int64_t> commit;
  };
  /// Runs `action` (one of the person's actions above, called on this Fleet) as API command `command`
  /// (cluster/api_commands.hpp): the commit it makes also marks the command done, in one transaction
  /// (store::Commit::api_command), so that no owner of the shard applies it twice. The public actions
  /// stay as they are for the single daemon. Throws StoreError (FencedOut: the lease is gone).
  CommandRun run_api_command(std::int64_t command, const std::function<Outcome(Fleet&)>& action);
  /// Checks and applies a new policy file; returns its errors (nothing changes then).
  std::vector<engine::PolicyError> reload_policy(const std::string& text, const std::string& source,
                                                 const std::string& actor);

  /// Time passes: offline detection, metrics gauges, compaction, snapshot and audit anchor when due.
  void tick();
  /// Anchors the clinic audit chains this fleet's commits moved, now (a clean stop calls it, so that the
  /// next owner's trail is covered up to here). Throws StoreError.
  void anchor_audit();
  /// The anchor alone, when due: the clock calls it while the broker is away and tick() is not (people's
  /// actions and reports still append to the audit chains).
  void anchor_audit_when_due();

  /// Runs `visit` on the engine, shared with other reads; an input waits for it to change the engine,
  /// so keep it to one device or cycle. Fleet-wide reads use view().
  template <class F>
  auto read(F&& visit) {
    std::shared_lock lock(engine_lock_);
    return visit(std::as_const(engine_));
  }
  /// The devices and clinics as of the latest inputs: under load up to view_period behind, at most
  /// one tick behind once inputs stop.
  std::shared_ptr<const FleetView> view() const override;
  void visit_engines(const std::function<bool(const engine::Engine&)>& visit) const override {
    std::shared_lock lock(engine_lock_);
    visit(engine_);
  }
  /// How often, at most, a busy input path renders the devices it changed again.
  static constexpr std::chrono::milliseconds view_period{250};
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

  /// Re-runs one journal entry on the engine; its alerts' devices are rendered again with the next view.
  void replay(const store::JournalEntry& entry);
  /// Replays the journal after journal_position_ (replica mode); returns the entries replayed.
  std::int64_t replay_journal();
  /// Loads the newest snapshot the engine can use into engine_, trying older ones after a failure.
  void load_snapshot(RestoreStats& stats);
  void store_missing_alerts(Staged& staged, Timestamp now);
  Outcome act(const std::string& actor, ActionKind what);
  Outcome act_on_token(const std::string& actor, ActionKind what, const std::string& sha256_hex);
  /// tick() under the lock; true when a snapshot is due.
  bool tick_locked();
  void anchor_when_due(Timestamp now);
  void compact(Timestamp now);
  bool snapshot_due(Timestamp now) const;
  /// Stores what the inputs produced (one transaction) and then sends its commands and events.
  /// `view_now`: publish the view whatever is pending (a person's action, the clock), rather than when due.
  void finish(std::span<Staged> staged, Timestamp now, std::optional<std::int64_t> receipt = std::nullopt,
              bool view_now = true);
  void finish(Staged& staged, Timestamp now) { finish({&staged, 1}, now); }
  void publish_events(const store::Commit& commit);
  /// Runs `change` on the engine, which readers are kept from meanwhile; call it holding input_mutex_.
  template <class F>
  auto changing(F&& change) {
    std::unique_lock lock(engine_lock_);
    return change(engine_);
  }
  /// Publishes a new view of the devices changed since the last one (those the engine handed out for
  /// change, and those whose alerts changed) when it is due; `now`: whatever is pending, as after a
  /// person's action or a tick.
  void update_view(bool now);
  std::shared_ptr<const DeviceView> render(const engine::DeviceRecord& device) const;

  std::mutex input_mutex_;          ///< inputs in turn; the holder may read engine_ without engine_lock_
  mutable EngineLock engine_lock_;  ///< exclusive while an input changes engine_, shared by reads
  engine::Engine engine_;
  store::Store& store_;
  CommandSink& commands_;
  OutboxPlanner* planner_ = nullptr;
  EventBus& events_;
  Metrics& metrics_;
  Clock clock_;
  FleetOptions options_;
  std::span<const Staged> earlier_;  ///< the group's messages judged before the one being judged
  engine::Intake intake_;            ///< asks the store, and earlier_, what a key was stored with
  Timestamp next_compaction_{};
  Timestamp next_anchor_{};
  std::optional<Timestamp> compacted_at_;
  std::int64_t journal_position_ = 0;  ///< the last commit: what the engine reflects
  std::int64_t entries_since_snapshot_ = 0;
  Timestamp next_snapshot_{};
  std::uint64_t command_counter_ = 0;
  std::int64_t last_quarantine_id_ = 0;        ///< quarantine ids are numbered here, so alerts can name them
  std::int64_t journal_before_fail_safe_ = 0;  ///< the last commit judged before fail-safe judging
  std::string command_prefix_;
  std::unordered_set<std::string> view_pending_;  ///< devices changed since the view was published
  bool view_pending_all_ = true;
  std::chrono::steady_clock::time_point view_published_{};
  mutable std::mutex view_mutex_;  ///< guards the pointer only
  std::shared_ptr<const FleetView> view_ = std::make_shared<FleetView>();
};

}  // namespace sterifleet::fleet
