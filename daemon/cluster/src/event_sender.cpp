#include "event_sender.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <pqxx/pqxx>

#include "relay_envelope.hpp"

namespace sterifleet::cluster {

namespace {

// Events per transaction (delivered together at its commit): one query of at most 4 MB, since each
// payload is under 8 kB.
constexpr std::size_t batch_limit = 500;

}  // namespace

EventSender::EventSender(std::string url, RelayIdentity me, const EventRelayOptions& options, RelayMetrics& metrics)
    : url_(std::move(url)), me_(std::move(me)), options_(options), metrics_(metrics), thread_([this] { run(); }) {}

EventSender::~EventSender() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void EventSender::enqueue(std::string_view clinic, const std::string& event) {
  bool dropped = false;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.queue) {
      queue_.pop_front();
      ++dropped_;
      dropped = true;
    }
    queue_.push_back({next_seq_++, std::string(clinic), event});
  }
  if (dropped) metrics_.lost(Loss::queue_full, 1);
  wake_.notify_one();
}

void EventSender::run() {
  std::vector<Pending> batch;  // kept across a lost connection: sent again, listeners drop duplicates
  auto delay = options_.backoff_first;
  bool failed = false;
  for (;;) {
    try {
      pqxx::connection connection(url_);
      name_session(connection, me_, "out");
      // A live event is worth nothing after a crash of PostgreSQL: its commit need not wait for the disk.
      pqxx::nontransaction(connection).exec("SET synchronous_commit TO off");
      metrics_.connected(RelayConnection::notify, true);
      if (failed) spdlog::info("event relay: notifying other daemons through PostgreSQL again");
      failed = false;
      delay = options_.backoff_first;
      serve(connection, batch);
      metrics_.connected(RelayConnection::notify, false);
      return;
    } catch (const std::exception& e) {
      metrics_.connected(RelayConnection::notify, false);
      std::size_t queued = 0;
      {
        std::lock_guard lock(mutex_);
        if (stopping_) {
          spdlog::error("event relay: stopping with {} events not notified to other daemons: {}",
                        queue_.size() + batch.size(), e.what());
          return;
        }
        queued = queue_.size();
      }
      spdlog::error(
          "event relay: cannot notify other daemons through PostgreSQL ({}); {} events queued (at most {}), "
          "retrying in {} ms",
          e.what(), queued + batch.size(), options_.queue, delay.count());
      failed = true;
    }
    if (!pause(delay)) {
      std::lock_guard lock(mutex_);
      spdlog::error("event relay: stopping with {} events not notified to other daemons", queue_.size() + batch.size());
      return;
    }
    delay = std::min(delay * 2, options_.backoff_max);
  }
}

void EventSender::serve(pqxx::connection_base& connection, std::vector<Pending>& batch) {
  for (;;) {
    if (batch.empty() && !take(batch)) return;
    try {
      send(connection, batch);
    } catch (const pqxx::sql_error& e) {
      // Refused by a working server (not a lost connection): sending it again would block every later
      // event behind it, so it is dropped and its gap reported by the listeners.
      if (!connection.is_open()) throw;
      spdlog::error("event relay: PostgreSQL refused {} events ({}); dropped", batch.size(), e.what());
      metrics_.lost(Loss::refused, batch.size());
    }
    batch.clear();
    prune(connection);
  }
}

bool EventSender::take(std::vector<Pending>& batch) {
  std::uint64_t dropped = 0;
  {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return false;
    const auto n = std::min(queue_.size(), batch_limit);
    std::move(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n), std::back_inserter(batch));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    dropped = std::exchange(dropped_, 0);
  }
  if (dropped > 0)
    spdlog::error(
        "event relay: {} events of this daemon dropped before reaching other daemons: the queue of {} was full "
        "while PostgreSQL was slow or unreachable",
        dropped, options_.queue);
  return true;
}

void EventSender::send(pqxx::connection_base& connection, const std::vector<Pending>& batch) {
  pqxx::work tx(connection);
  // One round trip for the batch: the statements of a query run in order, and a transaction's
  // notifications are delivered in the order they were made.
  std::string notify;
  std::size_t spilled = 0;
  for (const auto& pending : batch) {
    RelayedEvent event{me_.daemon, me_.run, pending.seq, pending.clinic, pending.event};
    auto payload = encode(event);
    if (payload.size() >= notify_payload_limit) {
      const auto row = tx.exec_params1("INSERT INTO event_spill (payload) VALUES ($1) RETURNING id", pending.event);
      event.content = SpillId{row[0].as<std::int64_t>()};
      payload = encode(event);
      ++spilled;
    }
    // Quoted piece by piece: pqxx's quote() is a literal + std::string, on which GCC 12 warns falsely
    // (-Wrestrict) at -O3.
    notify += "NOTIFY ";
    notify += EventRelay::channel;
    notify += ", '";
    notify += tx.esc(payload);
    notify += "';";
  }
  tx.exec(notify);
  tx.commit();
  metrics_.sent(batch.size(), spilled);
  if (spilled > 0) spilled_since_prune_ = true;
}

void EventSender::prune(pqxx::connection_base& connection) {
  const auto now = std::chrono::steady_clock::now();
  if (!spilled_since_prune_ || now - last_prune_ < std::chrono::minutes(1)) return;
  pqxx::work tx(connection);
  tx.exec_params("DELETE FROM event_spill WHERE at < clock_timestamp() - make_interval(secs => $1)",
                 static_cast<double>(options_.spill_keep.count()));
  tx.commit();
  spilled_since_prune_ = false;
  last_prune_ = now;
}

bool EventSender::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, delay, [&] { return stopping_; });
}

}  // namespace sterifleet::cluster
