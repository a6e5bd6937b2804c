#include "flood.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/sim/flood_traffic.hpp"

namespace sterifleet::sim {

namespace {

using Clock = std::chrono::steady_clock;

/// Acknowledgements from Paho's thread: latency per message, a count, and a wake-up for the publisher loop.
class Tracker : public mqtt::iaction_listener {
 public:
  explicit Tracker(std::uint64_t count) : sent_(count), latency_us_(count, 0) {}

  void sending(std::uint64_t index) { sent_[index] = Clock::now(); }
  void on_success(const mqtt::token& token) override { done(token, true); }
  void on_failure(const mqtt::token& token) override { done(token, false); }

  std::atomic<int>& inflight(std::size_t publisher) { return inflight_[publisher]; }
  std::uint64_t acked() const { return acked_.load(); }
  std::uint64_t failed() const { return failed_.load(); }
  std::vector<std::uint32_t>& latencies() { return latency_us_; }
  Clock::time_point last_ack() const { return last_ack_.load(); }

  /// Sleeps until an acknowledgement arrives or the timeout passes.
  void wait(std::chrono::microseconds timeout) {
    std::unique_lock lock(mutex_);
    waiting_ = true;
    cv_.wait_for(lock, timeout);
    waiting_ = false;
  }

  static void* context(std::uint64_t index, std::size_t publisher) {
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>((index << 8U) | publisher));
  }

 private:
  void done(const mqtt::token& token, bool ok) {
    const auto value = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(token.get_user_context()));
    const auto index = value >> 8U;
    const auto publisher = static_cast<std::size_t>(value & 0xffU);
    const auto now = Clock::now();
    if (index < latency_us_.size()) {
      latency_us_[index] =
          static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - sent_[index]).count());
    }
    (ok ? acked_ : failed_).fetch_add(1);
    last_ack_.store(now);
    inflight_[publisher].fetch_sub(1);
    if (waiting_) {
      const std::lock_guard lock(mutex_);
      cv_.notify_one();
    }
  }

  std::vector<Clock::time_point> sent_;
  std::vector<std::uint32_t> latency_us_;
  std::array<std::atomic<int>, 64> inflight_{};
  std::atomic<std::uint64_t> acked_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<Clock::time_point> last_ack_{};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<bool> waiting_{false};
};

double percentile(std::vector<std::uint32_t>& values, double p) {
  if (values.empty()) return 0.0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return static_cast<double>(values[k]) / 1000.0;
}

}  // namespace

nlohmann::ordered_json run_flood(const FloodSettings& settings, StateStore& state, const std::atomic<int>& signals) {
  sim::FloodTraffic traffic(settings.devices, state.boots());
  state.set_boots(traffic.boots());  // persisted before use
  const auto publishers = static_cast<std::size_t>(settings.publishers);
  Tracker tracker(settings.count);
  std::vector<std::unique_ptr<mqtt::async_client>> clients;
  for (std::size_t p = 0; p < publishers; ++p) {
    mqtt::create_options create(MQTTVERSION_3_1_1, static_cast<int>(settings.window) * 2 + 100);
    clients.push_back(std::make_unique<mqtt::async_client>(
        settings.mqtt.broker, "sterifleet-sim-flood-" + std::to_string(::getpid()) + "-" + std::to_string(p), create,
        nullptr));
    auto options = base_connect_options(settings.mqtt);
    options.set_clean_session(true);
    options.set_max_inflight(static_cast<int>(settings.window));
    clients.back()->connect(options)->wait();
  }
  std::ofstream sent_log;
  if (!settings.sent_log.empty()) sent_log.open(settings.sent_log, std::ios::trunc);

  spdlog::info("flood: {} messages from {} devices through {} publishers, window {}, rate {}", settings.count,
               settings.devices, publishers, settings.window,
               settings.rate > 0 ? std::to_string(settings.rate) + "/s" : std::string("unlimited"));
  const auto start = Clock::now();
  std::uint64_t sent = 0;
  for (; sent < settings.count && signals.load() == 0; ++sent) {
    if (settings.rate > 0.0) {
      const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(static_cast<double>(sent) / settings.rate));
      if (due > Clock::now()) std::this_thread::sleep_until(due);
    }
    const auto p = traffic.device_of(sent) % publishers;
    auto& inflight = tracker.inflight(p);
    while (inflight.load() >= static_cast<int>(settings.window)) tracker.wait(std::chrono::microseconds{200});
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const auto sequenced = traffic.next(sent, now);
    auto mqtt_message =
        mqtt::make_message(protocol::topic_of(sequenced), protocol::encode(sequenced), settings.qos, false);
    inflight.fetch_add(1);
    tracker.sending(sent);
    clients[p]->publish(mqtt_message, Tracker::context(sent, p), tracker);
    if (sent_log.is_open()) {
      const auto& envelope = sequenced.envelope;
      sent_log << sequenced.clinic.str() << ' ' << envelope.device.str() << ' ' << envelope.boot << ' ' << envelope.seq
               << ' ' << protocol::type_name(sequenced.body) << '\n';
    }
  }
  const auto deadline = Clock::now() + std::chrono::seconds{60};
  while (tracker.acked() + tracker.failed() < sent && Clock::now() < deadline && signals.load() < 2) {
    tracker.wait(std::chrono::milliseconds{10});
  }
  const auto end = tracker.acked() > 0 ? tracker.last_ack() : Clock::now();
  for (auto& client : clients) {
    try {
      client->disconnect()->wait_for(std::chrono::seconds{5});
    } catch (const mqtt::exception& e) {
      spdlog::warn("flood: disconnect: {}", e.what());
    }
  }
  auto& latencies = tracker.latencies();
  latencies.resize(static_cast<std::size_t>(sent));
  const double seconds = std::chrono::duration<double>(end - start).count();
  nlohmann::ordered_json summary{{"messages", tracker.acked()},
                                 {"failed", tracker.failed()},
                                 {"seconds", seconds},
                                 {"rate", seconds > 0 ? static_cast<double>(tracker.acked()) / seconds : 0.0},
                                 {"ack_latency_ms",
                                  {{"p50", percentile(latencies, 0.50)},
                                   {"p99", percentile(latencies, 0.99)},
                                   {"max", percentile(latencies, 1.0)}}},
                                 {"publishers", publishers},
                                 {"devices", settings.devices},
                                 {"qos", settings.qos},
                                 {"window", settings.window}};
  return summary;
}

}  // namespace sterifleet::sim
