// The daemon's heart: the compliance engine and the store behind one lock, so that every input is
// judged and stored atomically and in one order. Inputs are device messages (MQTT), people's actions
// (HTTP) and the clock. Nothing is acknowledged before it is committed, and commands to devices go out
// only after the commit that decided them. On start the engine is rebuilt by re-running the store's
// journal through the same code paths, so the rebuilt state is exactly the state that was stored.
//
// Thread-safety: every public member may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "sterifleet/core/command_sink.hpp"
#include "sterifleet/core/event_bus.hpp"
#include "sterifleet/core/metrics.hpp"
#include "sterifleet/engine/engine.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::core {

using protocol::Timestamp;

struct FleetOptions {
  std::chrono::seconds max_clock_skew{300};
  std::chrono::hours retention{24 * 7};  ///< history the engine keeps in memory (the store keeps all)
  std::chrono::minutes compaction_interval{60};
};

class Fleet {
 public:
  using Clock = std::function<Timestamp()>;

  Fleet(engine::Policy policy, store::Store& store, CommandSink& commands, EventBus& events, Metrics& metrics,
        Clock clock, FleetOptions options = {});

  struct RestoreStats {
    std::int64_t entries = 0;
    double seconds = 0;
  };
  /// Rebuilds the engine from the journal and records this start; call once, before any input.
  RestoreStats restore();

  enum class Disposition { stored, duplicate, quarantined };
  struct Ingested {
    Disposition disposition = Disposition::stored;
    std::string reason;  ///< quarantine reason code
    std::string detail;
  };
  /// One MQTT message, received now. Returns once it is durably stored (or known to be a redelivery).
  /// A retained status that changes nothing is the broker replaying it on subscribe: not stored again.
  Ingested ingest(std::string_view topic, std::string_view payload, bool retained = false);

  struct Outcome {
    std::optional<engine::Refusal> refusal;
    bool ok() const { return !refusal; }
  };
  Outcome acknowledge(const std::string& alert_id, const std::string& actor, std::string comment);
  Outcome resolve(const std::string& alert_id, const std::string& actor, std::string reason);
  /// `body`: the fields of a cycle.complete body (protocol/README.md) plus "clinic" and optional "id"
  /// and "at"; validated by the protocol codec, so errors name the field.
  Outcome manual_reprocessing(const nlohmann::json& body, const std::string& actor);
  Outcome maintenance(const std::string& device, Timestamp from, Timestamp to, std::string reason,
                      const std::string& actor);
  /// Checks and applies a new policy file; returns its errors (nothing changes then).
  std::vector<engine::PolicyError> reload_policy(const std::string& text, const std::string& source,
                                                 const std::string& actor);

  /// Time passes: offline detection, repeat notifications, metrics gauges, compaction when due.
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
  Ingested run_message(std::string_view topic, std::string_view payload, Timestamp received_at, Staged& staged,
                       bool retained = false);
  engine::Effects run_action(const store::Action& action);
  Outcome act(store::Action action);
  void finish(Staged& staged, Timestamp now);
  void publish_events(const engine::Effects& effects, const store::Commit& commit);

  std::mutex mutex_;
  engine::Engine engine_;
  store::Store& store_;
  CommandSink& commands_;
  EventBus& events_;
  Metrics& metrics_;
  Clock clock_;
  FleetOptions options_;
  Timestamp next_compaction_{};
  std::uint64_t command_counter_ = 0;
  std::string command_prefix_;
};

}  // namespace sterifleet::core
