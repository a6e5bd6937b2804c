// The real limit for the ingest benchmark: a Paho async subscriber that does nothing but count, with
// the same session, QoS and acknowledgement model as sterifleetd (a persistent session, QoS 1, the
// message acknowledged when the callback returns; Paho's trace set as sterifleetd sets it). Whatever it
// reaches, no daemon on Paho can beat.
//
//   bare_subscriber --broker tcp://127.0.0.1:1883 --client-id bare --prepare   # make the session
//   bare_subscriber --broker tcp://127.0.0.1:1883 --client-id bare --count N   # drain N, print JSON
#include <mqtt/async_client.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>

namespace {

using Clock = std::chrono::steady_clock;

mqtt::connect_options persistent_session() {
  mqtt::connect_options options;
  options.set_clean_session(false);
  options.set_keep_alive_interval(std::chrono::seconds(30));
  return options;
}

void subscribe_device_channels(mqtt::async_client& client) {
  const auto filters = std::make_shared<mqtt::string_collection>();
  std::vector<int> qos;
  for (const auto* channel : {"birth", "event", "telemetry", "status"}) {
    filters->push_back(std::string("sterifleet/v1/+/+/") + channel);
    qos.push_back(1);
  }
  client.subscribe(filters, qos)->wait();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"bare_subscriber: counts QoS 1 messages on sterifleet's device channels"};
  std::string broker = "tcp://127.0.0.1:1883";
  std::string client_id = "bare-subscriber";
  std::uint64_t count = 0;
  bool prepare = false;
  double timeout_s = 600;
  cli.add_option("--broker", broker, "broker URL");
  cli.add_option("--client-id", client_id, "client id of the persistent session");
  cli.add_option("--count", count, "messages to receive before stopping");
  cli.add_flag("--prepare", prepare, "create the session and subscriptions, then disconnect");
  cli.add_option("--timeout", timeout_s, "give up after this many seconds");
  CLI11_PARSE(cli, argc, argv);

  // Paho tuned as sterifleetd tunes it (daemon/ingest/src/mqtt_ingest.cpp): its per-packet in-memory
  // trace off. Whatever makes Paho faster for the daemon must make the real limit faster too.
  MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
  mqtt::async_client client(broker, client_id);
  std::atomic<std::uint64_t> received{0};
  Clock::time_point first;
  Clock::time_point last;
  std::mutex mutex;
  std::condition_variable done;
  client.set_message_callback([&](mqtt::const_message_ptr) {
    const auto now = Clock::now();
    if (received.load() == 0) first = now;
    last = now;
    if (received.fetch_add(1) + 1 == count) {
      const std::lock_guard lock(mutex);
      done.notify_one();
    }
  });
  client.connect(persistent_session())->wait();
  if (prepare) {
    subscribe_device_channels(client);
    client.disconnect()->wait();
    return 0;
  }
  {
    std::unique_lock lock(mutex);
    done.wait_for(lock, std::chrono::duration<double>(timeout_s), [&] { return received.load() >= count; });
  }
  client.disconnect()->wait();
  const auto n = received.load();
  const double seconds = n > 1 ? std::chrono::duration<double>(last - first).count() : 0.0;
  std::cout << R"({"messages":)" << n << R"(,"seconds":)" << seconds << R"(,"per_second":)"
            << (seconds > 0 ? static_cast<double>(n - 1) / seconds : 0.0) << "}\n";
  return n >= count ? 0 : 1;
}
