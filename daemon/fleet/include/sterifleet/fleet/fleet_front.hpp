// What the HTTP API asks of the fleet: the published view for listings, the engines for one device's or
// cycle's detail, and people's actions. A single daemon's Fleet answers all of it. In a cluster the
// shards' replicas (kept by every daemon from the shared journal) answer reads, and actions reach the
// owner of the shard they concern.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "sterifleet/engine/engine.hpp"
#include "sterifleet/fleet/fleet_view.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::fleet {

/// What a person's action came to: done, or refused with the engine's reason.
struct Outcome {
  std::optional<engine::Refusal> refusal;
  bool ok() const { return !refusal; }
};

/// An action nobody answered in time: in a cluster, no daemon took it for the shard it concerns (not
/// applied, and never will be), or its shard's owner took it and did not finish in time (it may still be
/// applied). The API answers 503 with this message and Retry-After: nothing is known to be lost, and
/// trying again is safe only after reading whether it was applied.
class ActionUnanswered : public std::runtime_error {
 public:
  ActionUnanswered(const std::string& message, std::chrono::seconds retry_after)
      : std::runtime_error(message), retry_after_(retry_after) {}
  std::chrono::seconds retry_after() const noexcept { return retry_after_; }

 private:
  std::chrono::seconds retry_after_;
};

/// Thread-safe: called from the HTTP server's threads.
class FleetFront {
 public:
  virtual ~FleetFront() = default;

  /// The devices and clinics as of the latest inputs (listings).
  virtual std::shared_ptr<const FleetView> view() const = 0;
  /// Calls `visit` with each engine (one per shard in a cluster), shared with other reads, until it
  /// returns true. Keep each visit to one device or cycle.
  virtual void visit_engines(const std::function<bool(const engine::Engine&)>& visit) const = 0;

  // People's actions; each is journaled and audited by whoever judges the shard, and reads made after
  // one returns see it. Throw store::StoreError when it could not be stored, ActionUnanswered when the
  // judge of the shard did not answer in time.
  virtual Outcome acknowledge(const std::string& alert_id, const std::string& actor, std::string comment) = 0;
  virtual Outcome resolve(const std::string& alert_id, const std::string& actor, std::string reason) = 0;
  /// `entry`: {"clinic", "id", "at"?, "cycle"}, read by read_manual_reprocessing (journal_actions.hpp),
  /// so errors name the field.
  virtual Outcome manual_reprocessing(const nlohmann::json& entry, const std::string& actor) = 0;
  virtual Outcome maintenance(const std::string& device, protocol::Timestamp from, protocol::Timestamp to,
                              std::string reason, const std::string& actor) = 0;
  /// A new API token, stored in one commit with its journal entry and its audit record (token_commit in
  /// journal_actions.hpp says what is refused). `cause`: the request that made it.
  virtual Outcome create_token(store::NewToken token, const std::string& actor, std::string cause) = 0;
  /// Revokes token `id` the same way.
  virtual Outcome revoke_token(const std::string& id, const std::string& actor, std::string cause) = 0;
  /// An audit record of something outside the engine (a report made for an auditor).
  virtual void record_audit(engine::AuditRecord record) = 0;
};

/// The first engine's answer that is not empty: `visit(engine)` returns a std::optional.
template <class F>
auto first_answer(const FleetFront& front, F&& visit) -> decltype(visit(std::declval<const engine::Engine&>())) {
  decltype(visit(std::declval<const engine::Engine&>())) answer;
  front.visit_engines([&](const engine::Engine& engine) {
    answer = visit(engine);
    return answer.has_value();
  });
  return answer;
}

}  // namespace sterifleet::fleet
