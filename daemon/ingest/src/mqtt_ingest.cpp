#include "sterifleet/ingest/mqtt_ingest.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "sterifleet/ingest/paho_client.hpp"
#include "sterifleet/protocol/topic.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::ingest {

MqttIngest::MqttIngest(MqttOptions options, ReceiptOptions receipts, fleet::Fleet& fleet, fleet::Metrics& metrics,
                       boost::asio::any_io_executor executor, FatalHandler fatal)
    : MqttIngest(std::make_unique<PahoClient>(options), options, std::move(receipts), fleet, metrics,
                 std::move(executor), std::move(fatal)) {}

MqttIngest::MqttIngest(std::unique_ptr<BrokerClient> client, MqttOptions options, ReceiptOptions receipts,
                       fleet::Fleet& fleet, fleet::Metrics& metrics, boost::asio::any_io_executor executor,
                       FatalHandler fatal, Backoff backoff)
    : options_(std::move(options)),
      recovery_group_(receipts.grouping.max_group),
      fleet_(fleet),
      metrics_(metrics),
      fatal_(std::move(fatal)),
      receipts_(std::in_place, receipts.folder, receipts.sync),
      client_(std::move(client)),
      queue_(receipts.grouping, executor, [this](std::span<const Received> group) { store(group); }),
      outbox_(*client_),
      reconnector_(*client_, executor, backoff, options_.url, [this] { on_connected(); }) {
  client_->set_handlers({.message = [this](InboundMessage message) { on_message(std::move(message)); },
                         .connection_lost = [this](const std::string& cause) { on_connection_lost(cause); }});
}

MqttIngest::MqttIngest(MqttOptions options, AfterCommitOptions shard, fleet::Fleet& fleet, fleet::Metrics& metrics,
                       boost::asio::any_io_executor executor, FatalHandler fatal)
    : MqttIngest(std::make_unique<PahoClient>(options), options, std::move(shard), fleet, metrics, std::move(executor),
                 std::move(fatal)) {}

MqttIngest::MqttIngest(std::unique_ptr<BrokerClient> client, MqttOptions options, AfterCommitOptions shard,
                       fleet::Fleet& fleet, fleet::Metrics& metrics, boost::asio::any_io_executor executor,
                       FatalHandler fatal, Backoff backoff)
    : options_(std::move(options)),
      recovery_group_(0),
      fleet_(fleet),
      metrics_(metrics),
      fatal_(std::move(fatal)),
      shard_filters_(std::move(shard.filters)),
      fenced_(std::move(shard.fenced)),
      client_(std::move(client)),
      queue_({}, executor, [this](std::span<const Received> group) { store(group); }),
      outbox_(*client_),
      reconnector_(*client_, executor, backoff, options_.url, [this] { on_connected(); }) {
  client_->set_handlers({.message = [this](InboundMessage message) { on_message(std::move(message)); },
                         .connection_lost = [this](const std::string& cause) { on_connection_lost(cause); }});
}

// The client goes first: none of its handlers may run into the pieces it feeds while they go. The
// outbox's thread, which publishes through the client, ends before it.
MqttIngest::~MqttIngest() {
  outbox_.stop();
  client_.reset();
}

void MqttIngest::on_message(InboundMessage message) {
  const auto arrived = std::chrono::steady_clock::now();
  if (!receipts_) {
    if (fenced_out_) return;  // the session is closed: nothing more is stored or acknowledged
    // Returning acknowledges the message, so it is stored first, here. Through the executor (as the
    // receipts go) this callback would wait on a thread that also calls into Paho (connection attempts,
    // and so a shard session's of the same process), which waits for the lock Paho holds around this
    // callback: a deadlock.
    const Received received{0, std::move(message.owner), message.topic, message.payload, message.retained, arrived};
    if (!store({&received, 1})) {
      // Fenced: the session is closed (fenced_out), so the acknowledgement Paho sends when this returns
      // goes nowhere. Otherwise fatal must not return: returning would acknowledge what is not stored.
      if (fenced_out_) return;
      std::abort();
    }
    return;
  }
  std::int64_t receipt = 0;
  try {
    receipt = receipts_->append(message.topic, message.payload, message.retained);
  } catch (const std::exception& e) {
    // Returning would acknowledge a message that is nowhere.
    fatal_(std::string("recording a received message failed: ") + e.what());
  }
  // Received but not stored is bounded; past it the broker holds the rest. The message is in the
  // receipt log already, so a stop need not wait for room.
  queue_.push({receipt, std::move(message.owner), message.topic, message.payload, message.retained, arrived});
}

bool MqttIngest::store(std::span<const Received> group) {
  std::vector<fleet::Fleet::Received> received;
  received.reserve(group.size());
  for (const auto& q : group) received.push_back({q.topic, q.payload, q.retained, q.arrived});
  try {
    // A shard session has no receipts: the store's receipt position stays as it is.
    const auto results =
        fleet_.ingest(received, receipts_ ? std::optional(group.back().receipt) : std::optional<std::int64_t>());
    if (receipts_) {
      try {
        receipts_->release(group.back().receipt);
      } catch (const ReceiptLogError& e) {
        // Harmless to keep: the next start skips what the store holds and removes the segment.
        spdlog::error("{}", e.what());
      }
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i].disposition == fleet::Fleet::Disposition::quarantined) {
        spdlog::warn("quarantined: topic={} reason={} detail={}", group[i].topic, results[i].reason, results[i].detail);
      }
    }
  } catch (const store::FencedOut& e) {
    if (!fenced_) {
      fatal_(std::string("storing messages failed: ") + e.what());
      return false;
    }
    fenced_out(e.what());
    return false;
  } catch (const std::exception& e) {
    fatal_(std::string("storing messages failed: ") + e.what());
    return false;
  }
  return true;
}

// Paho's message callback releases its lock while it runs, so the disconnection completes on Paho's
// other thread before the callback returns: the acknowledgement that follows finds no connection. A
// disconnection asked for is not a lost connection: nothing reconnects.
void MqttIngest::fenced_out(const std::string& why) {
  const bool first = !fenced_out_.exchange(true);
  client_->disconnect(std::chrono::milliseconds{0});
  {
    std::lock_guard lock(filters_mutex_);
    subscribed_ = false;
  }
  connected_ = false;
  metrics_.set_mqtt_connected(false);
  if (first) fenced_(why);
}

std::size_t MqttIngest::recover() {
  if (!receipts_) return 0;
  std::vector<Received> group;
  const auto flush = [&] {
    if (!group.empty()) store(group);
    group.clear();
  };
  const auto now = std::chrono::steady_clock::now();
  const auto replayed = receipts_->replay(fleet_.store().last_receipt(), [&](Receipt&& r) {
    const auto receipt = std::make_shared<const Receipt>(std::move(r));
    group.push_back({receipt->number, receipt, receipt->topic, receipt->payload, receipt->retained, now});
    if (group.size() >= recovery_group_) flush();
  });
  flush();
  for (const auto& warning : replayed.warnings) spdlog::error("{}", warning);
  receipts_->reopen();
  return replayed.receipts;
}

std::vector<std::string> MqttIngest::session_filters() const {
  if (shard_filters_) return *shard_filters_;
  std::vector<std::string> filters;
  for (const auto channel : protocol::device_channels) filters.push_back(protocol::channel_filter(channel));
  return filters;
}

std::vector<std::string> MqttIngest::subscribe_on_connection() {
  std::lock_guard lock(filters_mutex_);
  subscribed_ = true;
  ++connection_;
  granted_.clear();
  return session_filters();
}

void MqttIngest::add_filters(const std::vector<std::string>& filters) {
  std::vector<std::string> added;
  {
    std::lock_guard lock(filters_mutex_);
    if (!shard_filters_) throw std::logic_error("add_filters: only a shard session subscribes to chosen filters");
    for (const auto& filter : filters) {
      if (std::find(shard_filters_->begin(), shard_filters_->end(), filter) != shard_filters_->end()) continue;
      shard_filters_->push_back(filter);
      added.push_back(filter);
    }
    if (!subscribed_) return;  // the next connection subscribes to them all
  }
  // Outside the lock: the client's thread takes it in on_connected() while holding the client's own.
  if (!added.empty()) subscribe(added);
}

// A grant holds for the connection it answered: a broker that lost the session (a restart without
// persistence) must grant again before the session counts as ingesting.
void MqttIngest::subscribe(const std::vector<std::string>& filters) {
  std::uint64_t connection = 0;
  {
    std::lock_guard lock(filters_mutex_);
    connection = connection_;
  }
  client_->subscribe(filters, [this, filters, connection](bool granted) {
    if (!granted) return;
    std::lock_guard lock(filters_mutex_);
    if (connection == connection_) granted_.insert(filters.begin(), filters.end());
  });
}

bool MqttIngest::subscribed_to(const std::vector<std::string>& filters) {
  std::lock_guard lock(filters_mutex_);
  return granted_all(filters);
}

bool MqttIngest::ingesting() {
  if (!connected_) return false;
  std::lock_guard lock(filters_mutex_);
  return granted_all(session_filters());
}

bool MqttIngest::granted_all(const std::vector<std::string>& filters) const {
  return std::all_of(filters.begin(), filters.end(), [this](const auto& f) { return granted_.contains(f); });
}

void MqttIngest::on_connected() {
  try {
    fleet_.broker_connected();
  } catch (const store::FencedOut& e) {
    if (fenced_) return fenced_out(e.what());
    fatal_(std::string("storing the reconnection failed: ") + e.what());
  } catch (const std::exception& e) {
    fatal_(std::string("storing the reconnection failed: ") + e.what());
  }
  connected_ = true;
  metrics_.set_mqtt_connected(true);
  spdlog::info("mqtt: connected to {}", options_.url);
  // Subscribing again on a kept session is harmless; skipping it after a broker lost its sessions is not.
  // A shard without clinics yet subscribes when its first one registers (add_filters).
  if (const auto filters = subscribe_on_connection(); !filters.empty()) subscribe(filters);
}

void MqttIngest::on_connection_lost(const std::string& cause) {
  {
    std::lock_guard lock(filters_mutex_);
    subscribed_ = false;
  }
  connected_ = false;
  metrics_.set_mqtt_connected(false);
  reconnector_.connection_lost(cause);
}

std::size_t MqttIngest::start() {
  const auto recovered = recover();
  reconnector_.start();
  return recovered;
}

void MqttIngest::stop(std::chrono::milliseconds timeout) {
  reconnector_.stop();
  // A shard session's callback in the middle of its commit holds Paho's lock: the disconnection waits
  // for the commit (at most `timeout`, then Paho disconnects once the callback returned).
  client_->disconnect(timeout);
  {
    std::lock_guard lock(filters_mutex_);
    subscribed_ = false;
  }
  connected_ = false;
  metrics_.set_mqtt_connected(false);
  // The client calls no more handlers: what is queued is stored here rather than left to the next start.
  queue_.flush();
}

void MqttIngest::publish(const std::string& topic, const std::string& payload) { outbox_.publish(topic, payload); }

}  // namespace sterifleet::ingest
