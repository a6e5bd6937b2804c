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

constexpr std::size_t min_bootstrap_length = 24;

[[noreturn]] void die(const std::string& why) {
  spdlog::critical("{}; stopping", why);
  spdlog::default_logger()->flush();
  std::_Exit(exit_storage);  // no unwinding: nothing more may be acknowledged or written
}

protocol::Timestamp system_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::unique_ptr<store::Store> open_store(const Config& config) {
  // Serving the fleet alone while the operator believes it is shared would judge every clinic twice.
  if (!config.store_url.empty() || config.cluster) {
    throw StartError(exit_config,
                     "store.url and [cluster] (several daemons on PostgreSQL) are not served by this build yet: the "
                     "multi-daemon runtime is not built (daemon/README.md, \"Where it stands\"); remove them to run "
                     "on SQLite (store.db)");
  }
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

http::HttpOptions http_options(const Config& config, http::NotifyActions notify, CheckpointSigner& checkpoints) {
  http::HttpOptions web = config.http;
  web.notify = std::move(notify);
  web.sign_checkpoint = [&checkpoints](const store::AuditHead& head) { return checkpoints.sign(head); };
  if (web.bootstrap_token.empty()) {
    if (const char* from_env = std::getenv("STERIFLEET_BOOTSTRAP_TOKEN")) web.bootstrap_token = from_env;
  }
  // An admin secret short enough to guess would be an open door on a fresh install.
  if (!web.bootstrap_token.empty() && web.bootstrap_token.size() < min_bootstrap_length) {
    throw StartError(exit_config, "the bootstrap token (http.bootstrap_token or STERIFLEET_BOOTSTRAP_TOKEN) has " +
                                      std::to_string(web.bootstrap_token.size()) + " characters; it needs at least " +
                                      std::to_string(min_bootstrap_length) +
                                      " (for example: head -c 24 /dev/urandom | base64)");
  }
  web.fatal = [](const std::string& why) { die(why); };
  return web;
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

std::filesystem::path beside_db(const Config& config, const std::string& configured, const char* suffix) {
  return configured.empty() ? config.db + suffix : configured;
}

CheckpointSigner make_checkpoint_signer(const Config& config, store::Store& store, ingest::MqttIngest& mqtt) {
  const auto key_path = beside_db(config, config.audit.signing_key, "-audit.key");
  const auto file = beside_db(config, config.audit.checkpoints, "-checkpoints.jsonl");
  try {
    auto loaded = crypto::load_or_create_key_file(key_path);
    const auto key = checkpoint::key_text(loaded.key.public_key());
    if (loaded.created) {
      spdlog::warn("made a new audit signing key {} (public key {}, also in {}.pub): give auditors the public key",
                   key_path.string(), key, key_path.string());
    }
    spdlog::info("audit checkpoints signed by key {}, appended to {}", key, file.string());
    return CheckpointSigner(
        std::move(loaded.key), file, store,
        [&mqtt](const std::string& topic, const std::string& payload) { mqtt.publish_retained(topic, payload); },
        system_now);
  } catch (const std::exception& e) {
    throw StartError(exit_config, "audit.signing_key: " + std::string(e.what()));
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
      checkpoints_(make_checkpoint_signer(config_, *store_, mqtt_)),
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
           metrics_, [this] { return mqtt_.connected(); }),
      stop_signals_(io_, SIGINT, SIGTERM),
      reload_signal_(io_, SIGHUP) {
  notifier_ = make_notifier(config_, *store_, metrics_);
  if (notifier_) {
    fleet_.plan_notifications_with(*notifier_);
    notifier_->observe_deliveries_with(deliveries_);
  }
  forward_checkpoints();
  restore();
  relay_.target = &mqtt_;
  ticker_.start();
  schedule_checkpoint();
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
  sign_checkpoint("start");
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
  sign_checkpoint("stop");
  checkpoint_senders_.join();
  store_snapshot();
  spdlog::info("stopped");
}

// Each named receiver must be one a checkpoint can go to: a webhook (its JSON carries the checkpoint) or
// an email (its text carries the line to save). Alertmanager is for alerts.
void Daemon::forward_checkpoints() {
  std::vector<std::string> receivers;
  std::stringstream names(config_.audit.receivers);
  for (std::string name; std::getline(names, name, ',');) {
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (name.empty()) continue;
    const notify::Receiver* receiver = notifier_ ? notifier_->config().receiver(name) : nullptr;
    if (!receiver) {
      throw StartError(exit_config, "audit.checkpoint_receivers: no [notify] receiver named \"" + name + "\"");
    }
    if (std::holds_alternative<notify::AlertmanagerReceiver>(receiver->settings)) {
      throw StartError(exit_config, "audit.checkpoint_receivers: \"" + name +
                                        "\" is an Alertmanager receiver; checkpoints go to webhook or email receivers");
    }
    receivers.push_back(name);
  }
  if (receivers.empty()) return;
  checkpoints_.forward_with([this, receivers](const checkpoint::Checkpoint& signed_head) {
    boost::asio::post(checkpoint_senders_, [this, receivers, payload = checkpoint::to_json(signed_head)] {
      for (const auto& receiver : receivers) {
        std::optional<std::string> failure;
        try {
          const auto result = notifier_->send_checkpoint(receiver, payload);
          if (result.outcome != notify::SendResult::Outcome::delivered) failure = result.answer;
        } catch (const std::exception& e) {  // a pool thread must not end the process over one receiver
          failure = e.what();
        }
        if (failure) {
          spdlog::error("audit checkpoint of record {} not delivered to {} (the checkpoints file keeps it): {}",
                        payload.value("seq", 0), receiver, *failure);
        }
      }
    });
  });
}

void Daemon::schedule_checkpoint() {
  checkpoint_timer_.expires_after(config_.audit.interval);
  checkpoint_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    sign_checkpoint("timer");
    schedule_checkpoint();
  });
}

// A checkpoint that cannot be kept is loud but not fatal: the chain itself is intact in the store, and
// the next one covers everything this one would have.
void Daemon::sign_checkpoint(const char* when) {
  try {
    if (checkpoints_.sign_if_grown()) spdlog::info("audit checkpoint signed ({})", when);
  } catch (const std::exception& e) {
    spdlog::error("audit checkpoint ({}) not kept: {}", when, e.what());
  }
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
