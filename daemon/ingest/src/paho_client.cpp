#include "sterifleet/ingest/paho_client.hpp"

#include <fmt/ranges.h>
#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>

namespace sterifleet::ingest {

namespace {

// Commands are rare; the buffer only has to absorb a burst while the broker is away.
constexpr int max_buffered_commands = 10000;

std::string normalise_broker_url(const std::string& url) {
  return url.find("://") == std::string::npos ? "tcp://" + url : url;
}

std::string describe(const mqtt::token& token) {
  return mqtt::exception(token.get_return_code(), token.get_reason_code()).what();
}

mqtt::connect_options connect_options_for(const MqttOptions& o) {
  mqtt::connect_options options;
  if (o.version >= 5) {
    options.set_mqtt_version(MQTTVERSION_5);
    options.set_clean_start(false);
    // Paho 1.2's builder leaves a dangling pointer to v5 properties: set them on the options directly.
    mqtt::properties properties;
    properties.add({mqtt::property::SESSION_EXPIRY_INTERVAL, static_cast<int>(o.session_expiry.count())});
    options.set_properties(properties);
  } else {
    options.set_mqtt_version(MQTTVERSION_3_1_1);
    options.set_clean_session(false);
  }
  options.set_keep_alive_interval(o.keepalive);
  options.set_automatic_reconnect(false);
  if (!o.username.empty()) options.set_user_name(o.username);
  if (!o.password.empty()) options.set_password(o.password);
  if (o.tls) {
    mqtt::ssl_options ssl;
    if (!o.tls->ca_file.empty()) ssl.set_trust_store(o.tls->ca_file);
    if (!o.tls->cert_file.empty()) ssl.set_key_store(o.tls->cert_file);
    if (!o.tls->key_file.empty()) ssl.set_private_key(o.tls->key_file);
    ssl.set_enable_server_cert_auth(o.tls->verify);
    ssl.set_verify(o.tls->verify);
    // No set_error_handler: Paho C++ 1.2.0 hands OpenSSL a pointer to this local object, which the
    // copies below outlive, and the daemon crashed on the first TLS failure (certificate verify failed).
    options.set_ssl(ssl);
  }
  return options;
}

mqtt::create_options create_options_for(const MqttOptions& o) {
  mqtt::create_options options(o.version >= 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1, max_buffered_commands);
  // What is published before the first connection attempt (a start's audit checkpoint; the outbox has a
  // thread of its own, so it may come first) waits in the buffer like what is published while away.
  options.set_send_while_disconnected(true, true);
  return options;
}

class ConnectListener final : public mqtt::iaction_listener {
 public:
  void expect(BrokerClient::ConnectDone done) {
    std::lock_guard lock(mutex_);
    done_ = std::move(done);
  }
  void finish(const std::string& error) {
    BrokerClient::ConnectDone done;
    {
      std::lock_guard lock(mutex_);
      done.swap(done_);
    }
    if (done) done(error);
  }
  void on_success(const mqtt::token&) override { finish({}); }
  void on_failure(const mqtt::token& token) override { finish(describe(token)); }

 private:
  std::mutex mutex_;
  BrokerClient::ConnectDone done_;
};

// A refused subscription leaves the daemon deaf to a channel while it looks connected: said loudly. The
// filters come from the token, since a shard session may subscribe again before the last answer came.
// Each request's Subscribed handler travels as the token's user context, owned by the request.
class SubscribeListener final : public mqtt::iaction_listener {
 public:
  void on_success(const mqtt::token& token) override {
    const auto codes = token.get_subscribe_response().get_reason_codes();
    const auto filters = token.get_topics();
    bool granted = true;
    for (std::size_t i = 0; filters && i < codes.size() && i < filters->size(); ++i) {
      if (codes[i] >= mqtt::ReasonCode::UNSPECIFIED_ERROR) {
        granted = false;
        spdlog::critical("mqtt: the broker refused the subscription to {} ({}): those messages do not arrive",
                         (*filters)[i], mqtt::exception::reason_code_str(codes[i]));
      }
    }
    answer(token, granted);
  }
  void on_failure(const mqtt::token& token) override {
    const auto filters = token.get_topics();
    spdlog::critical("mqtt: subscribing to {} failed ({}): those messages do not arrive",
                     filters ? fmt::format("{}", fmt::join(filters->c_arr(), filters->c_arr() + filters->size(), ", "))
                             : std::string("its filters"),
                     describe(token));
    answer(token, false);
  }

 private:
  static void answer(const mqtt::token& token, bool granted) {
    const std::unique_ptr<BrokerClient::Subscribed> done(
        static_cast<BrokerClient::Subscribed*>(token.get_user_context()));
    if (done && *done) (*done)(granted);
  }
};

}  // namespace

struct PahoClient::Impl {
  MqttOptions options;
  mqtt::connect_options connect_options;
  // Before the client, so they outlive it: destroying a client fails its commands still in flight (a
  // subscription the broker had not answered yet) through their listeners.
  ConnectListener connect_listener;
  SubscribeListener subscribe_listener;
  mqtt::async_client client;

  explicit Impl(MqttOptions o)
      : options(std::move(o)),
        connect_options(connect_options_for(options)),
        client(normalise_broker_url(options.url), options.client_id, create_options_for(options), nullptr) {}
};

PahoClient::PahoClient(MqttOptions options) {
  // By default Paho records most of its function entries and every packet in an in-memory trace (read
  // by nobody unless asked for), under a lock and with a formatted line each: on its receive thread,
  // the ingest's busiest, that was a third of the thread's CPU a message (18.3-19.1 µs fell to
  // 11.5-13.6 in bench/ingest_bench.sh, alternating rounds). Errors are still recorded; what fails
  // reaches the log through Paho's return codes and handlers. The setting is the process's.
  MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
  const auto url = options.url;
  try {
    impl_ = std::make_unique<Impl>(std::move(options));
  } catch (const mqtt::exception& e) {
    throw BrokerError("cannot use the broker address " + url + ": " + e.what());
  }
}

PahoClient::~PahoClient() = default;

void PahoClient::set_handlers(Handlers handlers) {
  impl_->client.set_message_callback([on_message = std::move(handlers.message)](mqtt::const_message_ptr message) {
    InboundMessage inbound{nullptr, message->get_topic(), message->get_payload(), message->is_retained()};
    inbound.owner = std::move(message);
    on_message(std::move(inbound));
  });
  impl_->client.set_connection_lost_handler(
      [on_lost = std::move(handlers.connection_lost)](const std::string& cause) { on_lost(cause); });
}

void PahoClient::connect(ConnectDone done) {
  impl_->connect_listener.expect(std::move(done));
  try {
    impl_->client.connect(impl_->connect_options, nullptr, impl_->connect_listener);
  } catch (const mqtt::exception& e) {
    impl_->connect_listener.finish(e.what());
  }
}

void PahoClient::subscribe(const std::vector<std::string>& filters, Subscribed done) {
  const auto collection = std::make_shared<mqtt::string_collection>(filters);
  const mqtt::iasync_client::qos_collection qos(filters.size(), 1);
  auto context = std::make_unique<Subscribed>(std::move(done));
  try {
    impl_->client.subscribe(collection, qos, context.get(), impl_->subscribe_listener);
    context.release();  // the listener's now
  } catch (const mqtt::exception& e) {
    // Only when the connection is gone already: the next connection subscribes again.
    spdlog::critical("mqtt: cannot subscribe to {} ({})", fmt::join(filters, ", "), e.what());
  }
}

void PahoClient::publish(const std::string& topic, const std::string& payload, Retain retain) {
  try {
    impl_->client.publish(topic, payload.data(), payload.size(), 1, retain == Retain::yes);
  } catch (const mqtt::exception& e) {
    throw BrokerError(e.what());
  }
}

void PahoClient::disconnect(std::chrono::milliseconds timeout) {
  try {
    if (impl_->client.is_connected())
      impl_->client.disconnect(static_cast<int>(timeout.count()))->wait_for(timeout + std::chrono::seconds(1));
  } catch (const mqtt::exception& e) {
    spdlog::warn("mqtt: disconnect: {}", e.what());
  }
}

}  // namespace sterifleet::ingest
