// sterifleet-sim: the fleet simulator's entry point. Parses the command line, loads the persisted boot
// counters, then either drives the clinic scenario over MQTT or runs the flood benchmark.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>

#include "driver.hpp"
#include "flood.hpp"
#include "options.hpp"

namespace {

std::atomic<int> signals{0};

extern "C" void on_signal(int) { signals.fetch_add(1); }  // only a flag: the driver loop does the work

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sterifleet;
  sim::Options options;
  if (const auto exit = sim::parse_options(argc, argv, options)) return *exit;
  // stdout carries the flood summary; logs go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("sim"));
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  install_signal_handlers();

  try {
    sim::StateStore state(options.state_dir.empty() ? sim::default_state_dir() : options.state_dir);
    const sim::MqttSettings mqtt{options.broker, options.username, options.password, options.cafile,
                                 options.cert,   options.key,      options.cert_dir, 64};
    if (options.flood) {
      sim::FloodSettings flood{mqtt,
                               *options.flood,
                               options.flood_count,
                               options.publishers,
                               options.flood_devices,
                               options.qos,
                               options.window > 0 ? static_cast<std::size_t>(options.window) : 500U,
                               options.sent_log};
      flood.mqtt.max_inflight = static_cast<int>(flood.window);
      const auto summary = sim::run_flood(flood, state, signals);
      std::cout << summary.dump() << std::endl;
      if (!options.summary.empty()) std::ofstream(options.summary, std::ios::trunc) << summary.dump(2) << '\n';
      return 0;
    }

    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    auto config = sim::scenario_config(options, now, state.last_end());
    config.boots = state.boots();
    if (state.last_end() && config.start < *state.last_end()) {
      spdlog::warn(
          "this run starts at {}, before the previous run ended ({}): a daemon that kept that run's data "
          "sees two histories overlap",
          protocol::format_timestamp(config.start), protocol::format_timestamp(*state.last_end()));
    }
    sim::Scenario scenario(config);
    sim::Outputs outputs({options.sent_log, options.summary, options.injected});
    const sim::Pacer pacer(config.speed, config.start, config.end, std::chrono::steady_clock::now());
    sim::DriverSettings settings;
    settings.mqtt = mqtt;
    settings.qos = options.qos;
    if (options.window > 0) settings.window = static_cast<std::size_t>(options.window);
    settings.mqtt.max_inflight = static_cast<int>(settings.window);
    spdlog::info("{} clinics x ({} pens + {} sterilizers), {} to {}{}, speed {}, heartbeat {} s, seed {}, broker {}",
                 config.clinics, config.pens, config.sterilizers, protocol::format_timestamp(config.start),
                 protocol::format_timestamp(config.end), config.follow ? " then real time" : "", config.speed,
                 config.heartbeat.count(), config.seed, options.broker);
    sim::Driver driver(scenario, pacer, settings, state, outputs);
    const int status = driver.run(signals);
    const auto summary = outputs.finish({{"injected_total", scenario.injected().size()}});
    spdlog::info("done: {}", summary.dump());
    return status;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}
