#include "cluster_daemon.hpp"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <csignal>
#include <thread>

#include "daemon_command_line.hpp"
#include "notify_actions.hpp"
#include "policy_file.hpp"

namespace sterifleet::app {

namespace {

// The API's queries read every shard and write nothing: people's actions go to the shards' owners.
std::unique_ptr<store::Store> open_front_store(const Config& config) {
  try {
    store::migrate_postgresql(config.store_url);
    return store::open_postgresql(config.store_url, {.writer = std::nullopt, .readers = 4});
  } catch (const std::exception& e) {
    throw StartError(exit_storage, std::string("cannot open the PostgreSQL store (store.url): ") + e.what());
  }
}

}  // namespace

// The node registers the configured clinics and the replicas open the shards' stores: a clinic the
// cluster has on another shard is a configuration to fix, a database that fails may come back.
ClusterDaemon::ClusterDaemon(Config config, engine::Policy policy) try
    : config_(std::move(config)),
      store_(open_front_store(config_)),
      replicas_({.store_url = config_.store_url, .shards = config_.cluster->shards, .fleet = config_.fleet}, policy),
      queue_({.url = config_.store_url}),
      commands_(
          queue_, [this](const std::string& device) { return replicas_.shard_of_device(device); }, system_now,
          config_.fleet.max_clock_skew),
      front_(replicas_, commands_),
      node_(
          cluster_node_options(config_), policy, [](const std::string& why) { die(why); }, events_),
      checkpoints_(make_checkpoint_signer(
          config_, *store_,
          [this](const std::string& topic, const std::string& payload) { node_.publish_retained(topic, payload); })),
      checkpoint_timer_(io_),
      web_(io_, http_options(config_, cluster_notify_actions(config_.notify, *store_, system_now), checkpoints_),
           front_, *store_, events_, metrics_, [this] { return replicas_.loaded(); }),
      stop_signals_(io_, SIGINT, SIGTERM),
      reload_signal_(io_, SIGHUP) {
  metrics_.also_render([this] { return node_.shard_metrics(); });
  // Each daemon sends the checkpoints it signs, with its own key: independent witnesses of one chain.
  forward_checkpoints(config_, checkpoints_, checkpoint_senders_);
  try {
    web_.start();
  } catch (const std::exception& e) {
    throw StartError(exit_config, "cannot serve HTTP on " + config_.http.listen + ": " + e.what());
  }
  await_stop();
  await_reload();
} catch (const cluster::ClusterError& e) {
  throw StartError(exit_config, std::string("cannot join the cluster: ") + e.what());
} catch (const store::StoreError& e) {
  throw StartError(exit_storage, std::string("cannot start on the PostgreSQL store: ") + e.what());
}

void ClusterDaemon::await_stop() {
  stop_signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: handing the shards over and stopping", signal);
    sd_notify(0, "STOPPING=1");
    reloading_.request_stop();  // the shards are about to be released: no more reload commands for them
    metrics_.set_ready(false);
    web_.stop();
    io_.stop();
  });
}

void ClusterDaemon::await_reload() {
  reload_signal_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    reload_policy();
    await_reload();
  });
}

// A shard's policy is its owner's to judge with and its journal's to keep: the reload reaches each shard
// as an API command its owner journals in turn with the shard's messages, so its replicas and any later
// owner replay it at the same point. One daemon's SIGHUP reloads the whole cluster.
void ClusterDaemon::reload_policy() {
  if (config_.policy.empty()) {
    spdlog::warn("SIGHUP: no policy file configured; the built-in policy stays");
    return;
  }
  if (reloading_.joinable() && !reload_done_) {
    spdlog::warn("SIGHUP: the last policy reload is still reaching the shards; send SIGHUP again once it is done");
    return;
  }
  std::string text;
  try {
    text = read_text_file(config_.policy);
    const auto parsed = engine::parse_policy(text, config_.policy);
    if (const auto* errors = std::get_if<std::vector<engine::PolicyError>>(&parsed)) {
      for (const auto& e : *errors) spdlog::error("{}", e.to_string());
      spdlog::error("SIGHUP: {} has errors; the policy in force stays", config_.policy);
      return;
    }
  } catch (const std::exception& e) {
    spdlog::error("SIGHUP: {}", e.what());
    return;
  }
  // The daemon's own starting policy stays the configured one: a shard it takes over replays the reload
  // from its journal, and its snapshot (judged from that start) stays usable.
  if (reloading_.joinable()) reloading_.join();
  reload_done_ = false;
  reloading_ = std::jthread([this, text = std::move(text)](const std::stop_token& stopping) {
    const auto actor = "operator:SIGHUP@" + config_.cluster->daemon_id;
    std::vector<int> missed;  // refused, or no owner took it within the wait
    for (int shard = 0; shard < config_.cluster->shards && !stopping.stop_requested(); ++shard) {
      try {
        const auto answer = commands_.set_policy(shard, text, config_.policy, actor);
        if (!answer.outcome.ok()) {
          spdlog::error("policy reload: shard {} refused {}: {}", shard, config_.policy,
                        answer.outcome.refusal->message);
          missed.push_back(shard);
        }
      } catch (const std::exception& e) {
        spdlog::error("policy reload: shard {}: {}", shard, e.what());
        missed.push_back(shard);
      }
    }
    if (stopping.stop_requested()) {
      spdlog::warn("policy reload: stopped before it reached every shard; send SIGHUP again after the start");
    } else if (missed.empty()) {
      spdlog::info("policy reloaded from {} on all {} shards", config_.policy, config_.cluster->shards);
    } else {
      // Loud: a shard judging under the old policy is one the operator believes changed.
      spdlog::critical(
          "policy reload: shards {} did not take {}: they judge under their last policy until the next SIGHUP, or "
          "until a daemon started with this file takes them",
          fmt::format("{}", fmt::join(missed, ", ")), config_.policy);
    }
    reload_done_ = true;
  });
}

void ClusterDaemon::run() {
  replicas_.start();
  node_.start();
  relay_ = std::make_unique<cluster::EventRelay>(config_.store_url, config_.cluster->daemon_id, events_,
                                                 metrics_.registry());
  sign_checkpoint_if_grown(checkpoints_, "start");
  sign_checkpoints_every(checkpoint_timer_, config_.audit.interval, checkpoints_);
  metrics_.set_ready(true);
  sd_notify(0, "READY=1");
  const auto& listen = config_.http.listen;
  spdlog::info("sterifleetd {} running in a cluster of {} shards: broker {}, HTTP {}://{}:{}",
               config_.cluster->daemon_id, config_.cluster->shards, config_.mqtt.url, web_.tls() ? "https" : "http",
               listen.substr(0, listen.rfind(':')), web_.port());
  // A second thread so that one slow HTTP client or long query does not hold up the others.
  std::jthread second([this] { io_.run(); });
  io_.run();
  second.join();
  node_.stop();
  relay_.reset();
  replicas_.stop();
  sign_checkpoint_if_grown(checkpoints_, "stop");
  checkpoint_senders_.join();
  spdlog::info("stopped");
}

}  // namespace sterifleet::app
