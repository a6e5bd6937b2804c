// The command line of sterifleet-sim (CLI11) and its translation into a scenario configuration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sterifleet/protocol/time.hpp"
#include "sterifleet/sim/config.hpp"

namespace sterifleet::sim {

struct Options {
  std::string broker = "tcp://localhost:1883";
  int clinics = 2;
  int pens = 4;
  int sterilizers = 2;
  double days = 1.0;
  double speed = 60.0;
  std::string start;  ///< RFC 3339; empty: now - days
  bool follow = false;
  bool resume = false;  ///< start where the state directory's previous run ended, when that is later
  std::uint64_t seed = 1;
  std::string state_dir;
  int qos = 1;
  std::string username;
  std::string password;
  std::string cafile;
  std::string cert;
  std::string key;
  std::string cert_dir;  ///< per-device client certificates: <dir>/<device>.pem and <device>.key
  std::string sent_log;
  std::string summary;
  std::string log_level = "info";

  double violations = 0.0;
  std::string violation_kinds;  ///< comma-separated rule ids; empty: all
  std::string injected;
  int shelf_life_hours = 0;
  int heartbeat = 0;  ///< 0: derived from the speed

  std::optional<double> flood;  ///< messages per second in total, 0 = as fast as possible
  std::uint64_t flood_count = 100'000;
  int publishers = 4;
  int flood_devices = 1000;
  int window = 0;  ///< in-flight publishes per client; 0: 64 per device, 500 per flood publisher
};

/// Parses argv; returns the exit status to use when parsing ended the program (--help, an error).
std::optional<int> parse_options(int argc, char** argv, Options& options);

/// The scenario configuration for a run starting at wall-clock `now`; `previous_end`: where the state
/// directory's previous run ended (what --resume starts from). Throws std::invalid_argument.
ScenarioConfig scenario_config(const Options& options, protocol::Timestamp now,
                               std::optional<protocol::Timestamp> previous_end = std::nullopt);

/// The default state directory: $XDG_STATE_HOME/sterifleet-sim or ~/.local/state/sterifleet-sim.
std::string default_state_dir();

}  // namespace sterifleet::sim
