// Alert delivery as the daemon runs it: the planner joined to the fleet's commits and the dispatcher
// that works off the outbox, for the receivers and routes of the daemon's configuration.
#pragma once

#include <memory>
#include <string>

#include "sterifleet/fleet/outbox_planner.hpp"
#include "sterifleet/notify/dispatcher.hpp"
#include "sterifleet/notify/planner.hpp"

namespace sterifleet::notify {

/// The transport for `receiver`'s kind. Throws std::invalid_argument for settings it cannot work with.
std::unique_ptr<Sender> make_sender(const Receiver& receiver);

/// Sends a test notice to `receiver` now, past any outbox, and returns what it answered: the daemon's
/// Notifier, and any daemon of a cluster, which has no Notifier of its own outside its shards. Throws
/// std::invalid_argument naming the receivers there are when there is no such receiver.
SendResult send_test(const NotifyConfig& config, const std::string& receiver, Timestamp now,
                     const std::string& requested_by);
/// Sends a signed audit checkpoint (checkpoint::to_json) to `receiver` now, once, past any outbox: what
/// audit.checkpoint_receivers asks of any daemon. Throws as send_test().
SendResult send_checkpoint(const NotifyConfig& config, const std::string& receiver, Timestamp now,
                           const nlohmann::json& checkpoint);

/// Thread-safety: plan() and planned_stored() as the fleet calls them; test() and enable_receiver() from
/// any thread.
class Notifier final : public fleet::OutboxPlanner {
 public:
  /// `store` must outlive it. Throws std::invalid_argument for a receiver whose settings are unusable.
  Notifier(NotifyConfig config, store::Store& store, prometheus::Registry& metrics, Dispatcher::Clock clock,
           DispatcherOptions options = {});
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void plan(const engine::AlertChange& change, const engine::Policy& policy, Timestamp now,
            store::Commit& into) override;
  void planned_stored() override;

  /// Who hears of notifications nobody got, and of recoveries (dispatcher.hpp); before start().
  void observe_deliveries_with(DeliveryObserver& observer) { dispatcher_->observe_deliveries_with(observer); }
  void start() { dispatcher_->start(); }
  void stop() { dispatcher_->stop(); }

  /// Sends a test notice to `receiver` now, past the outbox, and returns what it answered. Throws
  /// std::invalid_argument naming the receivers there are when there is no such receiver.
  SendResult test(const std::string& receiver, const std::string& requested_by);
  /// Sends a signed audit checkpoint (its JSON form) to `receiver` now, once, past the outbox: the
  /// checkpoints file and the broker keep it durably. Throws std::invalid_argument like test().
  /// See Dispatcher::enable.
  bool enable_receiver(const std::string& receiver) { return dispatcher_->enable(receiver); }
  const NotifyConfig& config() const { return config_; }

 private:
  NotifyConfig config_;
  Dispatcher::Clock clock_;
  Planner planner_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

}  // namespace sterifleet::notify
