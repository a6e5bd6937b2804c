#include "daemon.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "daemon_command_line.hpp"
#include "notify_actions.hpp"
#include "policy_file.hpp"

namespace sterifleet::app {

namespace {

namespace net = boost::asio;

std::unique_ptr<store::Store> open_store(const Config& config) {
  try {
    return store::open_sqlite(config.db, config.sqlite);
  } catch (const std::exception& e) {
    throw StartError(exit_storage, "cannot open the store " + config.db + ": " + e.what());
  }
}

ingest::ReceiptOptions receipt_options(const Config& config) {
  ingest::ReceiptOptions receipts;
  receipts.folder = config.receipts.empty() ? config.db + "-receipts" : config.receipts;
  receipts.sync = config.sqlite.synchronous == "FULL";
  return receipts;
}

// The ingest is not movable: made here, it is returned into its member in place.
ingest::MqttIngest make_ingest(const Config& config, const ingest::ReceiptOptions& receipts, fleet::Fleet& fleet,
                               fleet::Metrics& metrics, net::any_io_executor executor) {
  try {
    return ingest::MqttIngest(config.mqtt, receipts, fleet, metrics, std::move(executor),
                              [](const std::string& why) { die(why); });
  } catch (const ingest::BrokerError& e) {
    throw StartError(exit_config, e.what());
  } catch (const std::exception& e) {
    throw StartError(exit_storage, "cannot open the receipt log " + receipts.folder.string() + ": " + e.what());
  }
}

std::unique_ptr<notify::Notifier> make_notifier(const Config& config, store::Store& store, fleet::Metrics& metrics) {
  if (config.notify.receivers.empty()) {
    if (!config.notify.routes.empty()) spdlog::warn("[notify] has routes but no receivers: nothing is delivered");
    return nullptr;
  }
  try {
    return std::make_unique<notify::Notifier>(config.notify, store, metrics.registry(), system_now);
  } catch (const std::exception& e) {
    throw StartError(exit_config, std::string("[notify]: ") + e.what());
  }
}

}  // namespace

Daemon::Daemon(Config config, engine::Policy policy)
    : config_(std::move(config)),
      store_(open_store(config_)),
      fleet_(std::move(policy), *store_, relay_, events_, metrics_, system_now, config_.fleet),
      fleet_work_(net::make_work_guard(fleet_io_)),
      receipts_(receipt_options(config_)),
      mqtt_(make_ingest(config_, receipts_, fleet_, metrics_, fleet_io_.get_executor())),
      checkpoints_(make_checkpoint_signer(
          config_, *store_,
          [this](const std::string& topic, const std::string& payload) { mqtt_.publish_retained(topic, payload); })),
      ticker_(
          fleet_io_.get_executor(), config_.tick, fleet_, [this] { return mqtt_.connected(); },
          [](std::exception_ptr failure) {
            try {
              std::rethrow_exception(failure);
            } catch (const std::exception& e) {
              die(std::string("storing the clock's effects failed: ") + e.what());
            }
          }),
      checkpoint_timer_(io_),
      web_(io_, http_options(config_, notify_actions(notifier_, *store_), checkpoints_), fleet_, *store_, events_,
           metrics_, [this] { return mqtt_.ingesting(); }),
      stop_signals_(io_, SIGINT, SIGTERM),
      reload_signal_(io_, SIGHUP) {
  notifier_ = make_notifier(config_, *store_, metrics_);
  if (notifier_) {
    fleet_.plan_notifications_with(*notifier_);
    notifier_->observe_deliveries_with(deliveries_);
  }
  forward_checkpoints(config_, checkpoints_, checkpoint_senders_);
  restore();
  relay_.target = &mqtt_;
  ticker_.start();
  sign_checkpoints_every(checkpoint_timer_, config_.audit.interval, checkpoints_);
  try {
    web_.start();
  } catch (const std::exception& e) {
    throw StartError(exit_config, "cannot serve HTTP on " + config_.http.listen + ": " + e.what());
  }
  await_stop();
  await_reload();
}

void Daemon::restore() {
  try {
    const auto restored = fleet_.restore();
    for (const auto& warning : restored.warnings) spdlog::warn("{}", warning);
    spdlog::info("state rebuilt from {} and {} journal entries of {} in {:.2f} s",
                 restored.snapshot ? "the snapshot of commit " + std::to_string(*restored.snapshot) : "no snapshot",
                 restored.entries, config_.db, restored.seconds);
  } catch (const std::exception& e) {
    throw StartError(exit_storage, "cannot rebuild the state from " + config_.db + ": " + e.what());
  }
}

void Daemon::await_stop() {
  stop_signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: draining and stopping", signal);
    sd_notify(0, "STOPPING=1");
    mqtt_.stop();
    web_.stop();
    io_.stop();
  });
}

void Daemon::await_reload() {
  reload_signal_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    reload_policy();
    await_reload();
  });
}

void Daemon::reload_policy() {
  if (config_.policy.empty()) {
    spdlog::warn("SIGHUP: no policy file configured; the built-in policy stays");
    return;
  }
  try {
    const auto errors = fleet_.reload_policy(read_text_file(config_.policy), config_.policy, "operator:SIGHUP");
    for (const auto& e : errors) spdlog::error("{}", e.to_string());
    if (errors.empty()) spdlog::info("policy reloaded from {}", config_.policy);
  } catch (const std::exception& e) {
    spdlog::error("SIGHUP: {}", e.what());
  }
}

void Daemon::start_ingest() {
  try {
    if (const auto recovered = mqtt_.start(); recovered > 0) {
      spdlog::info("stored {} messages the last run had acknowledged but not stored", recovered);
    }
  } catch (const std::exception& e) {
    throw StartError(exit_storage,
                     "cannot store the receipts of the last run from " + receipts_.folder.string() + ": " + e.what());
  }
}

void Daemon::run() {
  // First: what the last run stored and did not deliver goes out while the ingest catches up.
  if (notifier_) notifier_->start();
  start_ingest();
  sign_checkpoint_if_grown(checkpoints_, "start");
  metrics_.set_ready(true);
  sd_notify(0, "READY=1");
  const auto& listen = config_.http.listen;
  spdlog::info("sterifleetd running: broker {}, store {}, HTTP {}://{}:{}", config_.mqtt.url, config_.db,
               web_.tls() ? "https" : "http", listen.substr(0, listen.rfind(':')), web_.port());
  std::jthread fleet_thread([this] { fleet_io_.run(); });
  // A second thread so that one slow HTTP client or long query does not hold up the others.
  std::jthread second([this] { io_.run(); });
  io_.run();
  second.join();
  // mqtt.stop() has stored what was queued: the clock and a waiting group timer may simply stop.
  fleet_io_.stop();
  fleet_thread.join();
  if (notifier_) notifier_->stop();
  sign_checkpoint_if_grown(checkpoints_, "stop");
  checkpoint_senders_.join();
  store_snapshot();
  spdlog::info("stopped");
}

// So that the next start replays nothing.
void Daemon::store_snapshot() {
  try {
    const auto snapshot = fleet_.snapshot();
    spdlog::info("snapshot of commit {} stored ({} bytes)", snapshot.commit, snapshot.bytes);
  } catch (const std::exception& e) {
    spdlog::error("no snapshot at stop ({}): the next start replays more of the journal", e.what());
  }
}

}  // namespace sterifleet::app
