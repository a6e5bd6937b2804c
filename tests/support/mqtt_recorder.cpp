#include "sterifleet/testing/mqtt_recorder.hpp"

#include <mqtt/async_client.h>
#include <unistd.h>

#include <atomic>

namespace sterifleet::testing {

namespace {

std::string unique_id() {
  static std::atomic<int> counter{0};
  return "recorder-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

}  // namespace

MqttRecorder::MqttRecorder(const std::string& url, const std::string& filter, const std::string& client_id,
                           const MqttLogin& login, const MqttTls& tls)
    : client_(std::make_unique<mqtt::async_client>(url, client_id.empty() ? unique_id() : client_id,
                                                   mqtt::create_options(MQTTVERSION_3_1_1, 100'000), nullptr)) {
  client_->set_message_callback([this](mqtt::const_message_ptr message) {
    Recorded recorded{message->get_topic(), message->to_string(), message->is_retained(),
                      std::chrono::steady_clock::now()};
    {
      const std::lock_guard lock(mutex_);
      messages_.push_back(std::move(recorded));
    }
    changed_.notify_all();
  });
  mqtt::connect_options options;
  options.set_clean_session(true);
  options.set_mqtt_version(MQTTVERSION_3_1_1);
  if (!login.username.empty()) {
    options.set_user_name(login.username);
    options.set_password(login.password);
  }
  if (!tls.ca_file.empty()) {
    mqtt::ssl_options ssl;
    ssl.set_trust_store(tls.ca_file.string());
    if (!tls.cert_file.empty()) ssl.set_key_store(tls.cert_file.string());
    if (!tls.key_file.empty()) ssl.set_private_key(tls.key_file.string());
    ssl.set_enable_server_cert_auth(true);
    ssl.set_verify(true);
    options.set_ssl(std::move(ssl));
  }
  client_->connect(options)->wait();
  client_->subscribe(filter, 1)->wait();
}

MqttRecorder::~MqttRecorder() {
  try {
    client_->disconnect()->wait_for(std::chrono::seconds{2});
  } catch (const mqtt::exception&) {
    // already gone
  }
}

std::vector<Recorded> MqttRecorder::messages() const {
  const std::lock_guard lock(mutex_);
  return messages_;
}

std::size_t MqttRecorder::size() const {
  const std::lock_guard lock(mutex_);
  return messages_.size();
}

bool MqttRecorder::wait_for(const std::function<bool(const std::vector<Recorded>&)>& done,
                            std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return done(messages_); });
}

void MqttRecorder::publish(const std::string& topic, const std::string& payload, bool retained) {
  client_->publish(mqtt::make_message(topic, payload, 1, retained))->wait();
}

}  // namespace sterifleet::testing
