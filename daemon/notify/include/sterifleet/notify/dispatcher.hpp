// Works off the outbox: due rows of one receiver and clinic go as one delivery (a burst within the
// route's group_wait becomes one message), sent on worker threads so a slow receiver holds up no
// other; each outcome is recorded in the store: delivered (a timer re-armed for its next round),
// retried with backoff and jitter (about 10 s, 1 min, 5 min, 30 min, 2 h, then every 2 h, or when the
// receiver's Retry-After says), dead once its receiver's time ran out, or dead at once for a receiver
// that said it is gone (410), which is then disabled. Delivery is at least once: a crash between the
// send and its record sends it again, under the same notice ids. Every notification of an alert that
// becomes dead is reported to the DeliveryObserver (the daemon raises delivery.failed), as is the first
// success to a receiver and clinic after one (it clears).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sterifleet/notify/delivery_observer.hpp"
#include "sterifleet/notify/routes.hpp"
#include "sterifleet/notify/sender.hpp"
#include "sterifleet/store/store.hpp"

namespace boost::asio {
class thread_pool;
}
namespace prometheus {
class Registry;
}

namespace sterifleet::notify {

struct DispatcherOptions {
  std::chrono::milliseconds poll{1000};  ///< the longest wait between looks at the outbox
  std::size_t batch = 500;               ///< rows read per look
  std::size_t workers = 4;               ///< deliveries in flight at once
  /// Where deliveries are sent: a pool shared by the dispatchers of a daemon's shards (each shard's
  /// outbox stays its own), which must outlive them; none: a pool of `workers` threads of its own.
  boost::asio::thread_pool* shared_workers = nullptr;
  /// Keeps the gauge of outbox rows by state (it counts the whole outbox): the dispatchers of a
  /// cluster's shards leave it to the daemon.
  bool count_rows = true;
};

/// The delay before retry `attempt` (1 = the first retry), before jitter.
std::chrono::seconds retry_delay(std::int64_t attempt);

class DeliveryMetrics;

class Dispatcher {
 public:
  using Clock = std::function<Timestamp()>;
  using Senders = std::map<std::string, std::unique_ptr<Sender>>;  ///< by receiver name

  /// `store` and `config` must outlive it. Nothing is sent before start().
  Dispatcher(store::Store& store, const NotifyConfig& config, Senders senders, prometheus::Registry& metrics,
             Clock clock, DispatcherOptions options = {});
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  /// Who hears of dead notifications and recoveries; call before start(). `observer` must outlive it.
  void observe_deliveries_with(DeliveryObserver& observer) { observer_ = &observer; }

  void start();
  /// Rows were stored: look at the outbox now rather than at the next poll. Never blocks for long.
  void wake();
  /// Waits for the deliveries in flight (each bounded by its receiver's timeout); those not begun yet
  /// are not sent. What they did not record is sent again by the next start (or the shard's next owner).
  void stop();
  /// Sends to a receiver disabled after it said it was gone (410) again: forgets it in the store and
  /// here. Its dead rows stay dead. Returns false when it was not disabled. Throws StoreError.
  bool enable(const std::string& receiver);

 private:
  struct Group;
  void run();
  /// The disabled receivers as the store has them now.
  void refresh_disabled();
  /// Sends what is due; returns how long to wait before looking again.
  std::chrono::milliseconds dispatch_due();
  void deliver(Group group);
  std::vector<store::DeliveryAttempt> outcome(const Group& group, const SendResult& result, Timestamp at);
  /// Tells the observer what died (the group's dead rows and `buried`: other rows of a receiver that
  /// was just disabled) or that the group's receiver and clinic are delivered to again.
  void report(const Group& group, const std::vector<store::DeliveryAttempt>& attempts,
              const std::vector<store::PendingNotification>& buried, const std::string& why, Timestamp at);
  std::optional<Timestamp> next_round(const store::PendingNotification& p, Timestamp at) const;
  std::chrono::seconds group_wait_of(const store::PendingNotification& p) const;

  store::Store& store_;
  const NotifyConfig& config_;
  Senders senders_;
  std::unique_ptr<DeliveryMetrics> metrics_;
  Clock clock_;
  DispatcherOptions options_;
  std::chrono::seconds lookahead_{0};
  std::chrono::steady_clock::time_point next_count_{};  ///< of the loop thread

  std::mutex mutex_;
  std::condition_variable wakeup_;
  bool woken_ = false;
  bool stopping_ = false;
  std::condition_variable settled_;  ///< in_flight_ became empty
  std::set<std::string> in_flight_;  ///< row ids being sent
  std::set<std::string> disabled_;   ///< receivers that said they are gone
  DeliveryObserver* observer_ = nullptr;
  /// (receiver, clinic) delivered to with no failure reported since: their successes need no report.
  std::set<std::pair<std::string, std::string>> delivering_;
  std::unique_ptr<boost::asio::thread_pool> own_workers_;
  boost::asio::thread_pool* workers_ = nullptr;  ///< own_workers_ or the shared pool
  std::thread loop_;
};

}  // namespace sterifleet::notify
