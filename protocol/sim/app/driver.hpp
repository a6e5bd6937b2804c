// Drives a Scenario over MQTT: paces simulated time against the wall clock (never ahead of the real
// clock), gives each device its own Paho client, keeps each clinic's messages in scenario order on the
// broker where it matters, feeds commands back.
//
// Ordering: the daemon places late messages by device time, but an alert raised on arrival and withdrawn
// later is still noise. So the messages that other devices' compliance depends on ("anchors":
// session.start, cycle.complete, bi.result, test.bowie_dick) leave only after every earlier action of
// their clinic is acknowledged, and every other message waits only for the clinic's earlier anchors.
// Telemetry of different devices thus flows in parallel, each device's own messages in order on its
// own connection.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "boot_persister.hpp"
#include "inbox.hpp"
#include "mqtt_device.hpp"
#include "outputs.hpp"
#include "pacer.hpp"
#include "state_store.hpp"
#include "sterifleet/sim/scenario.hpp"

namespace sterifleet::sim {

struct DriverSettings {
  MqttSettings mqtt;
  int qos = 1;                      ///< for sequenced messages; status is always QoS 1
  std::size_t window = 64;          ///< unacknowledged publishes per device
  std::size_t max_queued = 20'000;  ///< actions taken from the scenario but not yet carried out
};

/// Runs on the calling thread; Paho's threads only post to the inbox.
class Driver {
 public:
  Driver(Scenario& scenario, Pacer pacer, DriverSettings settings, StateStore& state, Outputs& outputs);
  ~Driver();

  /// Until every device has shut down. `signals` counts SIGINT/SIGTERM: the first winds the fleet down
  /// properly, the second abandons it. Returns the process exit status.
  int run(const std::atomic<int>& signals);

 private:
  using Wall = std::chrono::steady_clock::time_point;
  struct Queued {
    std::uint64_t ticket = 0;
    Action action;
  };
  struct Link {
    std::size_t clinic = 0;
    protocol::DeviceId device;
    std::unique_ptr<MqttDevice> mqtt;
    std::deque<Queued> queue;
    std::map<std::uint64_t, Publish> inflight;
    std::set<std::uint64_t> anchors;  ///< outstanding anchor tickets, queued or in flight
    enum class State { offline, connecting, online, disconnecting } state = State::offline;
    Wall retry_at{};
    std::uint32_t persisted_boot = 0;  ///< a power-up connects only once its boot is on disk
  };

  void pull(Wall now);
  void route(Action action, Wall now);
  void pump(Wall now);
  bool step(Link& link, Wall now);
  bool clinic_allows(const Link& link, std::uint64_t ticket, bool anchor) const;
  static bool is_anchor(const Action& action);
  void handle(const Inbound& event, Wall now);
  void handle_command(Link& link, const std::string& payload, Wall now);
  protocol::Timestamp sim_now(Wall now) const;
  void flush_injected();
  bool done();
  void log_progress(Wall now);
  /// `link` may try again at `at` (after a refused publish or a failed connection).
  void retry_later(Link& link, Wall at);
  void wake_retries(Wall now);

  Scenario& scenario_;
  Pacer pacer_;
  DriverSettings settings_;
  StateStore& state_;
  Outputs& outputs_;
  Inbox inbox_;
  std::unique_ptr<BootPersister> persister_;
  std::vector<Link> links_;
  std::map<std::string, std::size_t> by_device_;
  std::vector<std::vector<std::size_t>> clinics_;
  std::vector<std::uint64_t> tickets_;
  std::set<std::size_t> dirty_;                        ///< clinics whose links may be able to move
  std::vector<std::pair<Wall, std::size_t>> retries_;  ///< (when, clinic)
  std::size_t queued_ = 0;
  Wall wake_{};
  bool stopping_ = false;
  int stop_signals_ = 0;
  Wall stop_time_{};
  Wall stop_progress_{};  ///< while stopping: the last acknowledgement (or the stop itself)
  std::uint64_t stop_acknowledged_ = 0;
  protocol::Timestamp last_action_{};
  protocol::Timestamp caught_up_{};  ///< stopped while following: the real time the run had reached
  Wall last_progress_{};
  std::uint64_t published_ = 0;
  std::size_t injected_written_ = 0;
};

}  // namespace sterifleet::sim
