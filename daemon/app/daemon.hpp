// sterifleetd's parts, built from the configuration and run: store, fleet, MQTT ingest, clock, HTTP
// server and signals (SIGTERM/SIGINT drain and stop, SIGHUP reloads the policy file).
#pragma once

// GCC 12 at -O2 reports null dereferences inside Asio's scheduler (false positives in third-party code).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <stdexcept>

#include "checkpoint_signer.hpp"
#include "command_relay.hpp"
#include "config.hpp"
#include "daemon_parts.hpp"
#include "fleet_deliveries.hpp"
#include "fleet_ticker.hpp"
#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/http/server.hpp"
#include "sterifleet/ingest/mqtt_ingest.hpp"
#include "sterifleet/notify/notifier.hpp"

namespace sterifleet::app {

class Daemon {
 public:
  /// Opens the store, rebuilds the state, opens the receipt log and binds the HTTP port; throws
  /// StartError. Nothing is received before run().
  Daemon(Config config, engine::Policy policy);
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Stores what the last run acknowledged but did not store, connects and serves until SIGTERM or
  /// SIGINT; then drains and stores a snapshot. Throws StartError before it is ready.
  void run();

 private:
  void restore();
  void await_stop();
  void await_reload();
  void reload_policy();
  void start_ingest();
  void store_snapshot();

  // In the order of construction: each part is built from those above it and destroyed before them.
  Config config_;
  std::unique_ptr<store::Store> store_;
  fleet::Metrics metrics_;
  fleet::EventBus events_;
  CommandRelay relay_;
  fleet::Fleet fleet_;
  FleetDeliveries deliveries_{fleet_};          ///< outlives the notifier, whose workers call it
  std::unique_ptr<notify::Notifier> notifier_;  ///< none without receivers
  /// Sends checkpoints to audit.checkpoint_receivers, one at a time, off the threads that sign them.
  boost::asio::thread_pool checkpoint_senders_{1};
  // The HTTP server's threads never wait for the store on the inputs' behalf: the ordered ingest, the
  // commands it issues and the clock run on a thread of their own, which alone waits for each commit.
  boost::asio::io_context io_;
  boost::asio::io_context fleet_io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> fleet_work_;
  ingest::ReceiptOptions receipts_;
  ingest::MqttIngest mqtt_;
  CheckpointSigner checkpoints_;
  FleetTicker ticker_;
  boost::asio::steady_timer checkpoint_timer_;
  http::HttpServer web_;
  boost::asio::signal_set stop_signals_;
  boost::asio::signal_set reload_signal_;
};

}  // namespace sterifleet::app
