#include "options.hpp"

// GCC 12 at -O2 reports a null dereference inside CLI11's inlined string splitting (a false positive
// in third-party code); keep -Wnull-dereference for our own code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace sterifleet::sim {

std::optional<int> parse_options(int argc, char** argv, Options& o) {
  CLI::App app{"sterifleet-sim: simulates clinics of connected microneedling pens and sterilizers over MQTT"};
  app.option_defaults()->always_capture_default();
  app.add_option("--broker", o.broker, "MQTT broker URL (tcp://, ssl://)");
  app.add_option("--clinics", o.clinics, "number of clinics")->check(CLI::Range(1, 999));
  app.add_option("--pens", o.pens, "pens per clinic")->check(CLI::Range(1, 99));
  app.add_option("--sterilizers", o.sterilizers, "sterilizers per clinic (prevac, gravity, dry heat, ...)")
      ->check(CLI::Range(1, 20));
  app.add_option("--days", o.days, "simulated days")->check(CLI::PositiveNumber);
  app.add_option("--speed", o.speed, "simulated seconds per wall second; 0 = as fast as possible")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--start", o.start, "simulated start, RFC 3339 UTC (default: now - days, so the run ends near now)");
  app.add_flag("--follow", o.follow, "after the simulated days, continue in real time until SIGINT/SIGTERM");
  app.add_flag("--resume", o.resume,
               "start where the previous run of this --state-dir ended, if that is later than the start (the "
               "days up to now, no device's history told twice)");
  app.add_option("--seed", o.seed, "random seed: the same seed gives the same run");
  app.add_option("--state-dir", o.state_dir, "where boot counters persist (default $XDG_STATE_HOME/sterifleet-sim)");
  app.add_option("--qos", o.qos, "QoS of birth, event and telemetry publishes (status is always 1)")
      ->check(CLI::Range(0, 1));
  app.add_option("--username", o.username, "MQTT user name");
  app.add_option("--password", o.password, "MQTT password");
  app.add_option("--cafile", o.cafile, "CA certificate (PEM) to verify the broker")->check(CLI::ExistingFile);
  app.add_option("--cert", o.cert, "client certificate (PEM)")->check(CLI::ExistingFile);
  app.add_option("--key", o.key, "client private key (PEM)")->check(CLI::ExistingFile);
  // A broker that takes the certificate's name as the account (use_identity_as_username) lets each
  // device publish only as itself: one certificate for the whole fleet would be one account.
  auto* cert_dir =
      app.add_option("--cert-dir", o.cert_dir, "per-device client certificates: DIR/<device>.pem and DIR/<device>.key")
          ->check(CLI::ExistingDirectory)
          ->excludes("--cert")
          ->excludes("--key");
  app.add_option("--sent-log", o.sent_log, "write 'clinic device boot seq type' per acknowledged message");
  app.add_option("--summary", o.summary, "write counts per message type (JSON) at the end");
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--violations", o.violations, "probability of a violation per opportunity")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--violation-kinds", o.violation_kinds, "comma-separated rule ids (default: all)");
  app.add_option("--injected", o.injected, "write one JSON line per injected violation");
  app.add_option("--shelf-life-hours", o.shelf_life_hours, "the daemon's shelf_life_hours policy (0 = off, else >= 20)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--heartbeat", o.heartbeat, "declared pen heartbeat, s (default max(10, ceil(240/speed)))")
      ->check(CLI::Range(0, 86400));
  app.add_option("--flood", o.flood, "benchmark: publish valid telemetry and events at this total rate (0 = max)")
      ->check(CLI::NonNegativeNumber)
      ->excludes(cert_dir);  // flood publishers publish for many devices each
  app.add_option("--flood-count", o.flood_count, "benchmark: messages to publish")->check(CLI::PositiveNumber);
  app.add_option("--publishers", o.publishers, "benchmark: publishing clients")->check(CLI::Range(1, 64));
  app.add_option("--flood-devices", o.flood_devices, "benchmark: devices publishing")->check(CLI::Range(1, 1'000'000));
  app.add_option("--window", o.window,
                 "unacknowledged publishes per client (default 64 per device, 500 per flood publisher)")
      ->check(CLI::Range(0, 65535));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return std::nullopt;
}

std::string default_state_dir() {
  if (const char* state = std::getenv("XDG_STATE_HOME"); state != nullptr && *state != '\0') {
    return std::string(state) + "/sterifleet-sim";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.local/state/sterifleet-sim";
  }
  return ".sterifleet-sim";
}

ScenarioConfig scenario_config(const Options& o, protocol::Timestamp now,
                               std::optional<protocol::Timestamp> previous_end) {
  ScenarioConfig config;
  config.clinics = o.clinics;
  config.pens = o.pens;
  config.sterilizers = o.sterilizers;
  config.seed = o.seed;
  const auto span = std::chrono::milliseconds{std::llround(o.days * 86'400'000.0)};
  if (o.start.empty()) {
    config.start = std::chrono::floor<std::chrono::seconds>(now - span);
  } else {
    const auto start = protocol::parse_timestamp(o.start);
    if (!start) throw std::invalid_argument("--start is not an RFC 3339 UTC timestamp: " + o.start);
    config.start = *start;
  }
  config.end = config.start + span;
  if (o.resume && previous_end && *previous_end > config.start) {
    config.start = *previous_end;
    config.end = std::max(config.end, config.start);
  }
  if (config.end > now + std::chrono::minutes{1}) {
    throw std::invalid_argument("the simulated days would end in the future (" +
                                protocol::format_timestamp(config.end) +
                                "): the daemon rejects timestamps ahead of its clock; use an earlier --start");
  }
  config.follow = o.follow;
  config.speed = o.speed;
  if (o.heartbeat > 0) {
    config.heartbeat = std::chrono::seconds{o.heartbeat};
    config.follow_heartbeat = std::max(config.heartbeat, default_heartbeat(1.0));
  } else {
    config.heartbeat = default_heartbeat(o.speed);
    config.follow_heartbeat = default_heartbeat(1.0);
  }
  config.shelf_life = std::chrono::hours{o.shelf_life_hours};
  config.violations.rate = o.violations;
  if (o.violation_kinds.empty()) {
    for (const auto rule : all_rules()) {
      // Shelf life is a policy option: without it there is nothing to violate.
      if (rule != Rule::sterility_expired || o.shelf_life_hours > 0) config.violations.kinds.insert(rule);
    }
  } else {
    std::stringstream list(o.violation_kinds);
    std::string id;
    while (std::getline(list, id, ',')) {
      if (id.empty()) continue;
      const auto rule = parse_rule(id);
      if (!rule) throw std::invalid_argument("unknown rule id in --violation-kinds: " + id);
      if (*rule == Rule::sterility_expired && o.shelf_life_hours == 0) {
        throw std::invalid_argument("device.sterility_expired needs --shelf-life-hours (the daemon's policy)");
      }
      config.violations.kinds.insert(*rule);
    }
  }
  if (const auto error = validate(config); !error.empty()) throw std::invalid_argument(error);
  return config;
}

}  // namespace sterifleet::sim
