#include "sterifleet/ingest/mqtt_ingest.hpp"

#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <thread>

#include "sterifleet/protocol/topic.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::ingest {

namespace {

// Commands are rare; the buffer only has to absorb a burst while the broker is away.
constexpr int max_buffered_commands = 10000;

}  // namespace

std::string normalise_broker_url(const std::string& url) {
  return url.find("://") == std::string::npos ? "tcp://" + url : url;
}

MqttIngest::MqttIngest(MqttOptions options, ReceiptOptions receipts, fleet::Fleet& fleet, fleet::Metrics& metrics,
                       boost::asio::any_io_executor executor, FatalHandler fatal)
    : options_(std::move(options)),
      receipt_options_(std::move(receipts)),
      fleet_(fleet),
      metrics_(metrics),
      fatal_(std::move(fatal)),
      receipts_(receipt_options_.folder, receipt_options_.sync),
      strand_(boost::asio::make_strand(executor)),
      group_timer_(strand_),
      command_strand_(boost::asio::make_strand(std::move(executor))) {
  // By default Paho records most of its function entries and every packet in an in-memory trace (read
  // by nobody unless asked for), under a lock and with a formatted line each: on its receive thread,
  // the ingest's busiest, that was a third of the thread's CPU a message (18.3-19.1 µs fell to
  // 11.5-13.6 in bench/ingest_bench.sh, alternating rounds). Errors are still recorded; what fails
  // reaches the log through Paho's return codes and handlers. The setting is the process's.
  MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
  mqtt::create_options create(options_.version >= 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1, max_buffered_commands);
  client_ =
      std::make_unique<mqtt::async_client>(normalise_broker_url(options_.url), options_.client_id, create, nullptr);
  client_->set_connected_handler([this](const std::string&) { on_connected(); });
  client_->set_connection_lost_handler([this](const std::string& cause) {
    connected_ = false;
    metrics_.set_mqtt_connected(false);
    spdlog::warn("mqtt: connection lost ({}); reconnecting", cause.empty() ? "no reason given" : cause);
  });
  client_->set_message_callback([this](mqtt::const_message_ptr message) { on_message(std::move(message)); });
}

MqttIngest::~MqttIngest() = default;

void MqttIngest::on_message(mqtt::const_message_ptr message) {
  const auto arrived = std::chrono::steady_clock::now();
  const std::string_view topic = message->get_topic();
  const std::string_view payload = message->get_payload();
  const bool retained = message->is_retained();
  std::int64_t receipt = 0;
  try {
    receipt = receipts_.append(topic, payload, retained);
  } catch (const std::exception& e) {
    // Returning would acknowledge a message that is nowhere.
    fatal_(std::string("recording a received message failed: ") + e.what());
  }
  std::unique_lock lock(queue_mutex_);
  queue_.push_back({receipt, std::move(message), topic, payload, retained, arrived});
  if (!group_scheduled_) {
    group_scheduled_ = true;
    boost::asio::post(strand_, [this] { drain(); });
  } else if (queue_.size() == receipt_options_.full_group) {
    // A full group need not wait for the timer.
    boost::asio::post(strand_, [this] { drain(); });
  }
  // Received but not stored is bounded; past it the broker holds the rest. The message is in the
  // receipt log already, so a stop need not wait for room.
  queue_room_.wait(lock, [this] { return queue_.size() < receipt_options_.max_queued || stopping_; });
}

void MqttIngest::drain() {
  while (true) {
    {
      std::lock_guard lock(queue_mutex_);
      if (queue_.empty()) {
        group_scheduled_ = false;
        group_timer_.cancel();
        return;
      }
      // Only a stream waits: a message after a quiet spell is stored at once.
      const auto now = std::chrono::steady_clock::now();
      const bool streaming = now - last_group_stored_ < receipt_options_.linger;
      const auto due = queue_.front().arrived + receipt_options_.linger;
      if (queue_.size() < receipt_options_.full_group && !stopping_ && streaming && now < due) {
        // Re-arming cancels the wait already set, if any: one timer chain at a time.
        group_timer_.expires_at(due);
        group_timer_.async_wait([this](boost::system::error_code error) {
          if (!error) drain();
        });
        return;
      }
    }
    store_group();
    last_group_stored_ = std::chrono::steady_clock::now();
  }
}

bool MqttIngest::store_group() {
  std::lock_guard serial(store_mutex_);
  std::vector<Queued> group;
  bool more = false;
  {
    std::lock_guard lock(queue_mutex_);
    const auto end = queue_.begin() + static_cast<std::ptrdiff_t>(std::min(queue_.size(), receipt_options_.max_group));
    group = std::vector<Queued>(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
    queue_.erase(queue_.begin(), end);
    more = !queue_.empty();
  }
  queue_room_.notify_all();
  if (!group.empty()) store(group);
  return more;
}

void MqttIngest::store(std::span<const Queued> group) {
  std::vector<fleet::Fleet::Received> received;
  received.reserve(group.size());
  for (const auto& q : group) received.push_back({q.topic, q.payload, q.retained, q.arrived});
  try {
    const auto results = fleet_.ingest(received, group.back().receipt);
    try {
      receipts_.release(group.back().receipt);
    } catch (const ReceiptLogError& e) {
      // Harmless to keep: the next start skips what the store holds and removes the segment.
      spdlog::error("{}", e.what());
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i].disposition == fleet::Fleet::Disposition::quarantined) {
        spdlog::warn("quarantined: topic={} reason={} detail={}", group[i].topic, results[i].reason, results[i].detail);
      }
    }
  } catch (const std::exception& e) {
    fatal_(std::string("storing messages failed: ") + e.what());
  }
}

std::size_t MqttIngest::recover() {
  std::vector<Queued> group;
  const auto flush = [&] {
    if (!group.empty()) store(group);
    group.clear();
  };
  const auto now = std::chrono::steady_clock::now();
  const auto replayed = receipts_.replay(fleet_.store().last_receipt(), [&](Receipt&& r) {
    const auto receipt = std::make_shared<const Receipt>(std::move(r));
    group.push_back({receipt->number, receipt, receipt->topic, receipt->payload, receipt->retained, now});
    if (group.size() >= receipt_options_.max_group) flush();
  });
  flush();
  for (const auto& warning : replayed.warnings) spdlog::error("{}", warning);
  receipts_.reopen();
  return replayed.receipts;
}

std::string MqttIngest::filter(std::string_view channel) const {
  std::string f = std::string(protocol::topic_prefix) + "+/+/" + std::string(channel);
  return options_.shared_group.empty() ? f : "$share/" + options_.shared_group + "/" + f;
}

void MqttIngest::on_connected() {
  try {
    fleet_.broker_connected();
  } catch (const std::exception& e) {
    fatal_(std::string("storing the reconnection failed: ") + e.what());
  }
  connected_ = true;
  metrics_.set_mqtt_connected(true);
  spdlog::info("mqtt: connected to {}", options_.url);
  // Subscribing again on a kept session is harmless; skipping it after a broker lost its sessions is not.
  const auto filters = std::make_shared<mqtt::string_collection>();
  std::vector<int> qos;
  for (const auto* channel : {"birth", "event", "telemetry", "status"}) {
    filters->push_back(filter(channel));
    qos.push_back(1);
  }
  client_->subscribe(filters, qos);
}

std::size_t MqttIngest::start() {
  const auto recovered = recover();
  mqtt::connect_options options;
  if (options_.version >= 5) {
    options.set_mqtt_version(MQTTVERSION_5);
    options.set_clean_start(false);
    // Paho 1.2's builder leaves a dangling pointer to v5 properties: set them on the options directly.
    mqtt::properties properties;
    properties.add({mqtt::property::SESSION_EXPIRY_INTERVAL, static_cast<int>(options_.session_expiry.count())});
    options.set_properties(properties);
  } else {
    options.set_mqtt_version(MQTTVERSION_3_1_1);
    options.set_clean_session(false);
  }
  options.set_keep_alive_interval(options_.keepalive);
  options.set_automatic_reconnect(std::chrono::seconds(2), std::chrono::seconds(30));
  if (!options_.username.empty()) options.set_user_name(options_.username);
  if (!options_.password.empty()) options.set_password(options_.password);
  if (options_.tls) {
    mqtt::ssl_options ssl;
    if (!options_.tls->ca_file.empty()) ssl.set_trust_store(options_.tls->ca_file);
    if (!options_.tls->cert_file.empty()) ssl.set_key_store(options_.tls->cert_file);
    if (!options_.tls->key_file.empty()) ssl.set_private_key(options_.tls->key_file);
    ssl.set_enable_server_cert_auth(options_.tls->verify);
    ssl.set_verify(options_.tls->verify);
    options.set_ssl(ssl);
  }
  // Paho reconnects by itself only after a connection it once had; the first one is retried here.
  connector_ = std::jthread([this, options](std::stop_token stop) {
    auto backoff = std::chrono::seconds(1);
    while (!stop.stop_requested()) {
      try {
        client_->connect(options)->wait();
        return;
      } catch (const mqtt::exception& e) {
        spdlog::warn("mqtt: cannot connect to {} ({}); retrying in {} s", options_.url, e.what(), backoff.count());
      }
      for (auto waited = std::chrono::milliseconds(0); waited < backoff && !stop.stop_requested();
           waited += std::chrono::milliseconds(100)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      backoff = std::min(backoff * 2, std::chrono::seconds(30));
    }
  });
  return recovered;
}

void MqttIngest::stop(std::chrono::milliseconds timeout) {
  connector_.request_stop();
  if (connector_.joinable()) connector_.join();
  try {
    if (client_->is_connected())
      client_->disconnect(static_cast<int>(timeout.count()))->wait_for(timeout + std::chrono::seconds(1));
  } catch (const mqtt::exception& e) {
    spdlog::warn("mqtt: disconnect: {}", e.what());
  }
  connected_ = false;
  metrics_.set_mqtt_connected(false);
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_room_.notify_all();
  // Paho calls no more callbacks: what is queued is stored here rather than left to the next start.
  while (store_group()) {
  }
}

void MqttIngest::publish(const std::string& topic, const std::string& payload) {
  std::lock_guard lock(outbox_mutex_);
  outbox_.push_back({topic, payload});
  if (outbox_scheduled_) return;
  outbox_scheduled_ = true;
  boost::asio::post(command_strand_, [this] { send_commands(); });
}

void MqttIngest::send_commands() {
  while (true) {
    std::deque<Command> sending;
    {
      std::lock_guard lock(outbox_mutex_);
      sending.swap(outbox_);
      if (sending.empty()) {
        outbox_scheduled_ = false;
        return;
      }
    }
    for (const auto& command : sending) {
      try {
        client_->publish(command.topic, command.payload.data(), command.payload.size(), 1, false);
      } catch (const mqtt::exception& e) {
        // The command is in the store; a device that missed it gets the state again with the next one.
        spdlog::error("mqtt: cannot publish command on {}: {}", command.topic, e.what());
      }
    }
  }
}

}  // namespace sterifleet::ingest
