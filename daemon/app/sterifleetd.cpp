// sterifleetd: the compliance daemon. Wires configuration, store, engine, MQTT ingest and the clock,
// and handles signals: SIGTERM/SIGINT drain and stop, SIGHUP reloads the policy file.
// Exit codes: 0 stopped on request; 2 configuration error; 74 storage failure (systemd restarts it).
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <CLI/CLI.hpp>
// GCC 12 at -O2 reports null dereferences inside Asio's scheduler (false positives in third-party code).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <iostream>
#include <optional>
#include <thread>

#include "config.hpp"
#include "logging.hpp"
#include "policy_file.hpp"
#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/http/server.hpp"
#include "sterifleet/ingest/mqtt_ingest.hpp"

namespace {

using namespace sterifleet;
namespace net = boost::asio;

constexpr int exit_config = 2;
constexpr int exit_storage = 74;

[[noreturn]] void die(const std::string& why, int code) {
  spdlog::critical("{}; stopping", why);
  spdlog::default_logger()->flush();
  std::_Exit(code);  // no unwinding: nothing more may be acknowledged or written
}

protocol::Timestamp system_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

engine::Policy load_policy(const std::string& path) {
  if (path.empty()) return engine::default_policy();
  auto parsed = app::parse_policy_file(path);
  if (auto* errors = std::get_if<std::vector<engine::PolicyError>>(&parsed)) {
    for (const auto& e : *errors) spdlog::error("{}", e.to_string());
    throw std::runtime_error("the policy file has errors");
  }
  return std::get<engine::Policy>(std::move(parsed));
}

// The Fleet needs a command sink at construction and the MQTT ingest needs the Fleet: this breaks the
// cycle until the ingest exists (no command can be issued before restore() returns).
class CommandRelay : public fleet::CommandSink {
 public:
  fleet::CommandSink* target = nullptr;
  void publish(const std::string& topic, const std::string& payload) override {
    if (target) target->publish(topic, payload);
  }
};

// No ticks while the broker is away: the devices' silence then is the daemon's deafness, not theirs.
void schedule_ticks(net::steady_timer& timer, std::chrono::milliseconds period, fleet::Fleet& fleet,
                    const ingest::MqttIngest& mqtt) {
  timer.expires_after(period);
  timer.async_wait([&timer, period, &fleet, &mqtt](const boost::system::error_code& ec) {
    if (ec) return;
    try {
      if (mqtt.connected()) fleet.tick();
    } catch (const std::exception& e) {
      die(std::string("storing the clock's effects failed: ") + e.what(), exit_storage);
    }
    schedule_ticks(timer, period, fleet, mqtt);
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"sterifleetd: compliance daemon for clinic device fleets"};
  std::optional<std::string> config_file;
  std::vector<std::string> sets;
  std::string mqtt_url, db, http, policy, log_level, log_format;
  cli.add_option("-c,--config", config_file, "configuration file (TOML; see deploy/sterifleetd.toml)");
  cli.add_option("--mqtt", mqtt_url, "broker URL (mqtt.url), e.g. tcp://localhost:1883");
  cli.add_option("--db", db, "SQLite database file (store.db)");
  cli.add_option("--http", http, "HTTP listen address ADDR:PORT (http.listen)");
  cli.add_option("--policy", policy, "policy file (engine.policy); default: the built-in policy");
  cli.add_option("--log-level", log_level, "trace, debug, info, warn, error (log.level)");
  cli.add_option("--log-format", log_format, "text or json (log.format)");
  cli.add_option("--set", sets, "override any configuration key: section.key=value (repeatable)");
  CLI11_PARSE(cli, argc, argv);
  for (const auto& [value, key] : {std::pair{mqtt_url, "mqtt.url"},
                                   {db, "store.db"},
                                   {http, "http.listen"},
                                   {policy, "engine.policy"},
                                   {log_level, "log.level"},
                                   {log_format, "log.format"}}) {
    if (!value.empty()) sets.push_back(std::string(key) + "=" + value);
  }

  app::Config config;
  engine::Policy loaded_policy;
  try {
    config = app::load_config(config_file, sets);
    app::setup_logging(config.log_level, config.log_format);
    loaded_policy = load_policy(config.policy);
  } catch (const std::exception& e) {
    std::cerr << "sterifleetd: " << e.what() << '\n';
    return exit_config;
  }

  std::unique_ptr<store::Store> store;
  try {
    store = store::open_sqlite(config.db, config.sqlite);
  } catch (const std::exception& e) {
    spdlog::critical("cannot open the store {}: {}", config.db, e.what());
    return exit_storage;
  }

  fleet::Metrics metrics;
  fleet::EventBus events;
  CommandRelay relay;
  fleet::Fleet fleet(std::move(loaded_policy), *store, relay, events, metrics, system_now,
                     {.max_clock_skew = config.max_clock_skew,
                      .retention = config.retention,
                      .snapshot_every = config.snapshot_every,
                      .snapshot_interval = config.snapshot_interval});
  try {
    const auto restored = fleet.restore();
    for (const auto& warning : restored.warnings) spdlog::warn("{}", warning);
    spdlog::info("state rebuilt from {} and {} journal entries of {} in {:.2f} s",
                 restored.snapshot ? "the snapshot of commit " + std::to_string(*restored.snapshot) : "no snapshot",
                 restored.entries, config.db, restored.seconds);
  } catch (const std::exception& e) {
    spdlog::critical("cannot rebuild the state from {}: {}", config.db, e.what());
    return exit_storage;
  }

  // The HTTP server's threads never wait for the store on the inputs' behalf: the ordered ingest, the
  // commands it issues and the clock run on a thread of their own, which alone waits for each commit.
  net::io_context io;
  net::io_context fleet_io;
  auto fleet_work = net::make_work_guard(fleet_io);
  ingest::ReceiptOptions receipts{.folder = config.receipts.empty() ? config.db + "-receipts" : config.receipts,
                                  .sync = config.sqlite.synchronous == "FULL"};
  std::optional<ingest::MqttIngest> mqtt_holder;
  try {
    mqtt_holder.emplace(config.mqtt, receipts, fleet, metrics, fleet_io.get_executor(),
                        [](const std::string& why) { die(why, exit_storage); });
  } catch (const std::exception& e) {
    spdlog::critical("cannot open the receipt log {}: {}", receipts.folder.string(), e.what());
    return exit_storage;
  }
  auto& mqtt = *mqtt_holder;
  relay.target = &mqtt;

  net::steady_timer ticker(fleet_io);
  schedule_ticks(ticker, config.tick, fleet, mqtt);

  http::HttpOptions web;
  web.listen = config.http.listen;
  web.tls_cert = config.http.tls_cert;
  web.tls_key = config.http.tls_key;
  web.dashboard_dir = config.http.dashboard_dir;
  web.bootstrap_token = config.http.bootstrap_token;
  if (web.bootstrap_token.empty()) {
    if (const char* from_env = std::getenv("STERIFLEET_BOOTSTRAP_TOKEN")) web.bootstrap_token = from_env;
  }
  web.fatal = [](const std::string& why) { die(why, exit_storage); };
  http::HttpServer web_server(io, web, fleet, *store, events, metrics, [&mqtt] { return mqtt.connected(); });
  try {
    web_server.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot serve HTTP on {}: {}", web.listen, e.what());
    return exit_config;
  }

  net::signal_set stop_signals(io, SIGINT, SIGTERM);
  stop_signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: draining and stopping", signal);
    sd_notify(0, "STOPPING=1");
    mqtt.stop();
    web_server.stop();
    io.stop();
  });
  net::signal_set reload_signal(io, SIGHUP);
  std::function<void()> await_reload = [&] {
    reload_signal.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      if (config.policy.empty()) {
        spdlog::warn("SIGHUP: no policy file configured; the built-in policy stays");
      } else {
        try {
          const auto errors = fleet.reload_policy(app::read_text_file(config.policy), config.policy, "operator:SIGHUP");
          for (const auto& e : errors) spdlog::error("{}", e.to_string());
          if (errors.empty()) spdlog::info("policy reloaded from {}", config.policy);
        } catch (const std::exception& e) {
          spdlog::error("SIGHUP: {}", e.what());
        }
      }
      await_reload();
    });
  };
  await_reload();

  try {
    if (const auto recovered = mqtt.start(); recovered > 0) {
      spdlog::info("stored {} messages the last run had acknowledged but not stored", recovered);
    }
  } catch (const std::exception& e) {
    spdlog::critical("cannot store the receipts of the last run from {}: {}", receipts.folder.string(), e.what());
    return exit_storage;
  }
  metrics.set_ready(true);
  sd_notify(0, "READY=1");
  spdlog::info("sterifleetd running: broker {}, store {}, HTTP {}://{}:{}", config.mqtt.url, config.db,
               web_server.tls() ? "https" : "http", web.listen.substr(0, web.listen.rfind(':')), web_server.port());
  std::jthread fleet_thread([&fleet_io] { fleet_io.run(); });
  // A second thread so that one slow HTTP client or long query does not hold up the others.
  std::jthread second([&io] { io.run(); });
  io.run();
  second.join();
  // mqtt.stop() has stored what was queued: the clock and a waiting group timer may simply stop.
  fleet_io.stop();
  fleet_thread.join();
  try {  // so that the next start replays nothing
    const auto snapshot = fleet.snapshot();
    spdlog::info("snapshot of commit {} stored ({} bytes)", snapshot.commit, snapshot.bytes);
  } catch (const std::exception& e) {
    spdlog::error("no snapshot at stop ({}): the next start replays more of the journal", e.what());
  }
  spdlog::info("stopped");
  return 0;
}
