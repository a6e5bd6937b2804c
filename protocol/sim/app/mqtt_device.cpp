#include "mqtt_device.hpp"

#include <filesystem>
#include <functional>
#include <stdexcept>

namespace sterifleet::sim {

class MqttDevice::Listener : public mqtt::iaction_listener {
 public:
  using Handler = std::function<void(const mqtt::token&)>;
  Listener(Handler success, Handler failure) : success_(std::move(success)), failure_(std::move(failure)) {}
  void on_success(const mqtt::token& token) override { success_(token); }
  void on_failure(const mqtt::token& token) override { failure_(token); }

 private:
  Handler success_;
  Handler failure_;
};

namespace {

std::uint64_t ticket_of(const mqtt::token& token) {
  return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(token.get_user_context()));
}

std::string error_of(const mqtt::token& token) {
  return "rc " + std::to_string(token.get_return_code()) + " " + mqtt::exception::error_str(token.get_return_code());
}

mqtt::create_options create_options() {
  // Generous offline buffer: Paho otherwise refuses past ~100 pending messages while reconnecting.
  mqtt::create_options options(MQTTVERSION_3_1_1, 100'000);
  options.set_send_while_disconnected(true, false);
  return options;
}

}  // namespace

MqttSettings device_settings(const MqttSettings& settings, const std::string& device) {
  if (settings.cert_dir.empty()) return settings;
  MqttSettings own = settings;
  const auto dir = std::filesystem::path(settings.cert_dir);
  own.cert = (dir / (device + ".pem")).string();
  own.key = (dir / (device + ".key")).string();
  for (const auto& file : {own.cert, own.key}) {
    if (!std::filesystem::is_regular_file(file)) {
      throw std::runtime_error("--cert-dir: device " + device + " has no " + file);
    }
  }
  return own;
}

mqtt::connect_options base_connect_options(const MqttSettings& settings) {
  mqtt::connect_options options;
  options.set_mqtt_version(MQTTVERSION_3_1_1);
  options.set_keep_alive_interval(std::chrono::seconds{30});
  options.set_connect_timeout(std::chrono::seconds{10});
  options.set_max_inflight(settings.max_inflight);
  if (!settings.username.empty()) options.set_user_name(settings.username);
  if (!settings.password.empty()) options.set_password(settings.password);
  if (!settings.cafile.empty() || !settings.cert.empty()) {
    mqtt::ssl_options ssl;
    if (!settings.cafile.empty()) ssl.set_trust_store(settings.cafile);
    if (!settings.cert.empty()) ssl.set_key_store(settings.cert);
    if (!settings.key.empty()) ssl.set_private_key(settings.key);
    ssl.set_enable_server_cert_auth(!settings.cafile.empty());
    options.set_ssl(std::move(ssl));
  }
  return options;
}

MqttDevice::MqttDevice(const MqttSettings& settings, std::string client_id, std::string cmd_topic, std::size_t index,
                       Inbox& inbox)
    : settings_(device_settings(settings, client_id)),
      cmd_topic_(std::move(cmd_topic)),
      index_(index),
      inbox_(inbox),
      client_(settings.broker, client_id, create_options(), nullptr) {
  using Kind = Inbound::Kind;
  subscribe_listener_ = std::make_unique<Listener>(
      [this](const mqtt::token&) {
        inbox_.post(Inbound{Kind::connected, index_, 0, false, {}, {}});
      },
      [this](const mqtt::token& t) {
        inbox_.post(Inbound{Kind::connect_failed, index_, 0, false, {}, "subscribe " + error_of(t)});
      });
  connect_listener_ = std::make_unique<Listener>(
      [this](const mqtt::token& t) {
        // The broker kept our session (and its subscription) unless it says otherwise.
        if (t.get_connect_response().is_session_present()) {
          inbox_.post(Inbound{Kind::connected, index_, 0, true, {}, {}});
          return;
        }
        try {
          client_.subscribe(cmd_topic_, 1, nullptr, *subscribe_listener_);
        } catch (const mqtt::exception& e) {
          inbox_.post(Inbound{Kind::connect_failed, index_, 0, false, {}, e.what()});
        }
      },
      [this](const mqtt::token& t) {
        inbox_.post(Inbound{Kind::connect_failed, index_, 0, false, {}, error_of(t)});
      });
  publish_listener_ = std::make_unique<Listener>(
      [this](const mqtt::token& t) {
        inbox_.post(Inbound{Kind::acked, index_, ticket_of(t), false, {}, {}});
      },
      [this](const mqtt::token& t) {
        inbox_.post(Inbound{Kind::publish_failed, index_, ticket_of(t), false, {}, error_of(t)});
      });
  disconnect_listener_ = std::make_unique<Listener>(
      [this](const mqtt::token&) {
        inbox_.post(Inbound{Kind::disconnected, index_, 0, false, {}, {}});
      },
      [this](const mqtt::token& t) {
        inbox_.post(Inbound{Kind::disconnected, index_, 0, false, {}, error_of(t)});
      });
  // Copy and hand over; never block Paho's thread.
  client_.set_message_callback([this](mqtt::const_message_ptr message) {
    inbox_.post(Inbound{Kind::command, index_, 0, false, message->get_topic(), message->to_string()});
  });
  client_.set_connection_lost_handler([this](const std::string& cause) {
    lost_ = true;
    inbox_.post(Inbound{Kind::connection_lost, index_, 0, false, {}, cause});
  });
  // Automatic reconnection after a lost connection: subscribe again in case the broker lost the session.
  client_.set_connected_handler([this](const std::string&) {
    if (!lost_.exchange(false)) return;
    try {
      client_.subscribe(cmd_topic_, 1);
    } catch (const mqtt::exception&) {
      // the next reconnection tries again
    }
  });
}

MqttDevice::~MqttDevice() { close_now(); }

void MqttDevice::connect(const std::string& will_topic, const std::string& will_payload) {
  auto options = base_connect_options(settings_);
  options.set_clean_session(false);
  options.set_will(mqtt::will_options(will_topic, will_payload, 1, true));
  options.set_automatic_reconnect(std::chrono::seconds{1}, std::chrono::seconds{10});
  try {
    client_.connect(options, nullptr, *connect_listener_);
  } catch (const mqtt::exception& e) {
    inbox_.post(Inbound{Inbound::Kind::connect_failed, index_, 0, false, {}, e.what()});
  }
}

void MqttDevice::publish(std::uint64_t ticket, const std::string& topic, const std::string& payload, int qos,
                         bool retained) {
  auto message = mqtt::make_message(topic, payload, qos, retained);
  client_.publish(message, reinterpret_cast<void*>(static_cast<std::uintptr_t>(ticket)), *publish_listener_);
}

void MqttDevice::disconnect() {
  try {
    client_.disconnect(nullptr, *disconnect_listener_);
  } catch (const mqtt::exception& e) {
    inbox_.post(Inbound{Inbound::Kind::disconnected, index_, 0, false, {}, e.what()});
  }
}

void MqttDevice::close_now() {
  try {
    if (client_.is_connected()) client_.disconnect(std::chrono::milliseconds{500})->wait_for(std::chrono::seconds{2});
  } catch (const mqtt::exception&) {
    // closing anyway
  }
}

}  // namespace sterifleet::sim
