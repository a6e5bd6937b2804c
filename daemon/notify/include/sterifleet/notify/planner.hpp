// Decides, for each alert transition, the outbox rows of every receiver its routes reach: the first
// notice, the repeat and escalation timers, the resolved notice, Alertmanager's refreshes, and the
// cancellations an acknowledgement, resolution or withdrawal makes. Pure: the clock and the ids come in.
#pragma once

#include <functional>
#include <string>

#include "sterifleet/engine/effects.hpp"
#include "sterifleet/engine/policy.hpp"
#include "sterifleet/notify/notice.hpp"
#include "sterifleet/notify/routes.hpp"
#include "sterifleet/store/outbox.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::notify {

/// What to do about an alert of `rule`, in a sentence for a clinic manager.
std::string_view advice(engine::RuleId rule) noexcept;

class Planner {
 public:
  using IdSource = std::function<std::string()>;
  /// `config` must outlive the planner. `new_id`: unique row ids (default: random).
  explicit Planner(const NotifyConfig& config, IdSource new_id = {});

  void plan(const engine::AlertChange& change, const engine::Policy& policy, Timestamp now, store::Commit& into);
  /// A test notice for `receiver` (`sterifleet notify test`), due at once.
  store::OutboxRow test_row(const Receiver& receiver, Timestamp now, const std::string& requested_by);
  /// The notice carrying a signed audit checkpoint (its JSON form) to `receiver`.
  Notice checkpoint_notice(const Receiver& receiver, Timestamp now, const nlohmann::json& checkpoint);

 private:
  void firing(const engine::Alert& alert, const engine::Policy& policy, Timestamp now, store::Commit& into);
  void ended(const engine::Alert& alert, NoticeKind kind, Timestamp now, store::Commit& into);
  /// The routes an alert takes, in order, each receiver once (the first route reaching it decides).
  std::vector<const Route*> routes_for(const engine::Alert& alert) const;
  store::OutboxRow row(const engine::Alert& alert, NoticeKind kind, const Receiver& receiver, const Route& route,
                       Timestamp now, Timestamp due);
  bool is_alertmanager(const std::string& receiver) const;

  const NotifyConfig& config_;
  IdSource new_id_;
};

}  // namespace sterifleet::notify
