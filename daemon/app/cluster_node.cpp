#include "cluster_node.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <future>
#include <stdexcept>

#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::app {

namespace {

namespace net = boost::asio;

// Before the lease runner opens its table: the cluster tables come with the store's schema.
const std::string& migrated(const std::string& url) {
  store::migrate_postgresql(url);
  return url;
}

// From the registry's clinics of a shard, not from this daemon's map: another daemon may have registered
// a clinic with a pin this one was not given, and the registry is what every daemon agrees on.
std::vector<std::string> topic_filters(const std::vector<protocol::ClinicId>& clinics) {
  std::vector<std::string> filters;
  for (const auto& clinic : clinics) {
    for (const auto channel : protocol::device_channels) filters.push_back(protocol::channel_filter(channel, clinic));
  }
  return filters;
}

}  // namespace

ClusterNodeOptions cluster_node_options(const Config& config) {
  if (!config.cluster) throw std::invalid_argument("cluster_node_options: the configuration has no [cluster]");
  const auto& cluster = *config.cluster;
  return ClusterNodeOptions{.daemon_id = cluster.daemon_id,
                            .store_url = config.store_url,
                            .map = cluster.shard_map(),
                            .clinics = cluster.clinics,
                            .timing = {.ttl = cluster.lease_ttl,
                                       .renew_interval = cluster.renew_interval,
                                       .safety_margin = cluster.lease_margin,
                                       .live_window = cluster.lease_ttl},
                            .mqtt = config.mqtt,
                            .fleet = config.fleet,
                            .tick = config.tick,
                            .registry_poll = std::chrono::seconds{1},
                            .api = config.http.listen,
                            .notify = config.notify};
}

ClusterNode::ClusterNode(ClusterNodeOptions options, engine::Policy policy, FatalHandler fatal, fleet::EventBus& events)
    : options_(std::move(options)),
      policy_(std::move(policy)),
      fatal_(std::move(fatal)),
      events_(events),
      registry_(migrated(options_.store_url), options_.map),
      work_(net::make_work_guard(io_)),
      poll_timer_(io_),
      runner_(
          cluster::LeaseRunnerOptions{
              .table = {.url = options_.store_url, .daemon_id = options_.daemon_id, .ttl = options_.timing.ttl},
              .shards = options_.map.shards(),
              .timing = options_.timing,
              .api = options_.api},
          cluster::LeaseHandlers{
              .gained = [this](cluster::HeldLease l) { run_on_node([this, l] { gained(l); }); },
              .lost = [this](cluster::HeldLease l) { run_on_node([this, l] { lost(l); }); },
              .release_wanted = [this](cluster::HeldLease l) { run_on_node([this, l] { release_wanted(l); }); },
              .released =
                  [](cluster::HeldLease l) { spdlog::info("shard {} (epoch {}): lease released", l.shard, l.epoch); },
          }) {
  // An unusable receiver is a mistake of the configuration: said now, not when a shard is gained.
  for (const auto& receiver : options_.notify.receivers) {
    try {
      notify::make_sender(receiver);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("[notify] receiver \"" + receiver.name + "\": " + e.what());
    }
  }
  if (!options_.notify.receivers.empty()) {
    notify_senders_ = std::make_unique<boost::asio::thread_pool>(notify::DispatcherOptions{}.workers);
  }
  registry_.register_clinics(options_.clinics);
  known_clinics_ = registry_.clinics_by_shard();
  log_clinics();
}

ClusterNode::~ClusterNode() {
  if (started_ && !stopped_) stop();
}

void ClusterNode::log_clinics() {
  std::size_t total = 0;
  for (cluster::Shard shard = 0; shard < options_.map.shards(); ++shard) {
    const auto it = known_clinics_.find(shard);
    const auto count = it == known_clinics_.end() ? 0 : it->second.size();
    total += count;
    if (count > 0) spdlog::info("cluster: shard {} has {} clinic(s)", shard, count);
  }
  spdlog::info(
      "cluster: {} clinic(s) registered on {} shards; the lobby registers any other clinic by its first message", total,
      options_.map.shards());
}

void ClusterNode::run_on_node(std::function<void()> work) { net::post(io_, std::move(work)); }

void ClusterNode::start() {
  started_ = true;
  thread_ = std::thread([this] { io_.run(); });
  run_on_node([this] { poll_registry(); });
  runner_.start();
  spdlog::info("cluster: daemon {} running, {} shards", options_.daemon_id, options_.map.shards());
}

void ClusterNode::stop() {
  if (stopped_.exchange(true)) return;
  std::promise<void> workers_stopped;
  run_on_node([this, &workers_stopped] {
    poll_timer_.cancel();
    for (auto& [shard, worker] : workers_) {
      try {
        worker->stop_cleanly();
      } catch (const std::exception& e) {
        spdlog::error("shard {}: no snapshot at stop ({}): its next owner replays more of the journal", shard,
                      e.what());
      }
    }
    workers_.clear();
    {
      std::lock_guard lock(running_mutex_);
      running_.clear();
      shard_registries_.clear();
    }
    workers_stopped.set_value();
  });
  workers_stopped.get_future().wait();
  runner_.stop();                                // releases every lease still held
  if (notify_senders_) notify_senders_->join();  // idle: every worker's dispatcher has stopped
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

std::vector<cluster::HeldLease> ClusterNode::running() const {
  std::lock_guard lock(running_mutex_);
  return running_;
}

ShardWorker* ClusterNode::worker_of(cluster::HeldLease lease) {
  const auto it = workers_.find(lease.shard);
  return it != workers_.end() && it->second->lease() == lease ? it->second.get() : nullptr;
}

void ClusterNode::remove_worker(int shard) {
  workers_.erase(shard);
  std::lock_guard lock(running_mutex_);
  std::erase_if(running_, [shard](const cluster::HeldLease& l) { return l.shard == shard; });
  shard_registries_.erase(shard);
}

std::vector<prometheus::MetricFamily> ClusterNode::shard_metrics() const {
  std::map<cluster::Shard, std::shared_ptr<prometheus::Registry>> registries;
  {
    std::lock_guard lock(running_mutex_);
    registries = shard_registries_;
  }
  std::vector<prometheus::MetricFamily> out;
  for (const auto& [shard, registry] : registries) {
    auto families = registry->Collect();
    for (auto& family : families) {
      for (auto& series : family.metric) series.label.push_back({"shard", std::to_string(shard)});
    }
    fleet::merge_families(out, std::move(families));
  }
  return out;
}

std::vector<std::string> ClusterNode::filters_of(cluster::Shard shard) {
  try {
    known_clinics_ = registry_.clinics_by_shard();
  } catch (const cluster::ClusterError& e) {
    // The session's subscriptions stay with the broker (clean session off); new clinics come at the next poll.
    spdlog::warn("shard {}: the clinic registry could not be read ({}); using its last answer", shard, e.what());
  }
  const auto it = known_clinics_.find(shard);
  return it == known_clinics_.end() ? std::vector<std::string>{} : topic_filters(it->second);
}

void ClusterNode::gained(cluster::HeldLease lease) {
  if (workers_.contains(lease.shard)) {
    workers_.at(lease.shard)->stop_now();  // of an older epoch, whose loss came later
    remove_worker(lease.shard);
  }
  if (stopped_ || !runner_.holds(lease)) return;
  ShardWorkerOptions worker{.lease = lease,
                            .owner = options_.daemon_id,
                            .store_url = options_.store_url,
                            .mqtt = options_.mqtt,
                            .filters = filters_of(lease.shard),
                            .fleet = options_.fleet,
                            .tick = options_.tick,
                            .stall_limit = options_.timing.ttl - options_.timing.safety_margin,
                            .notify = options_.notify,
                            .dispatch = notify::DispatcherOptions(),
                            .lobby = lease.shard == 0 ? std::optional(options_.map) : std::nullopt};
  worker.dispatch.shared_workers = notify_senders_.get();
  worker.mqtt.client_id = options_.map.client_id(lease.shard);
  try {
    auto started = std::make_unique<ShardWorker>(
        std::move(worker), policy_,
        ShardWorkerHandlers{
            .fenced = [this](cluster::HeldLease l,
                             const std::string& why) { run_on_node([this, l, why] { fenced(l, why); }); },
            .fatal = fatal_},
        events_);
    started->start();
    workers_[lease.shard] = std::move(started);
    std::lock_guard lock(running_mutex_);
    running_.push_back(lease);
    shard_registries_[lease.shard] = workers_[lease.shard]->metrics();
  } catch (const store::FencedOut& e) {
    spdlog::error("shard {} (epoch {}): the lease went while the shard started ({}); not run", lease.shard, lease.epoch,
                  e.what());
  } catch (const std::exception& e) {
    fatal_("shard " + std::to_string(lease.shard) + ": cannot start: " + e.what());
  }
}

void ClusterNode::publish_retained(std::string topic, std::string payload) {
  run_on_node([this, topic = std::move(topic), payload = std::move(payload)] {
    if (workers_.empty()) {
      spdlog::info("{} not published on the broker: this daemon runs no shard's session", topic);
      return;
    }
    workers_.begin()->second->publish_retained(topic, payload);
  });
}

void ClusterNode::lost(cluster::HeldLease lease) {
  if (auto* worker = worker_of(lease)) {
    worker->stop_now();
    remove_worker(lease.shard);
  }
}

// The lease stays held until the shard is stopped and its snapshot saved: the next owner then replays
// nothing. A worker that cannot save it (fenced: the lease is gone already) is not handed back.
void ClusterNode::release_wanted(cluster::HeldLease lease) {
  if (auto* worker = worker_of(lease)) {
    try {
      worker->stop_cleanly();
    } catch (const store::FencedOut& e) {
      spdlog::error("shard {} (epoch {}): fenced while handing over ({})", lease.shard, lease.epoch, e.what());
      remove_worker(lease.shard);
      return;
    } catch (const std::exception& e) {
      spdlog::error("shard {}: no snapshot before the hand-over ({}): its next owner replays more of the journal",
                    lease.shard, e.what());
    }
    remove_worker(lease.shard);
  }
  runner_.hand_back(lease);
}

// The lease runner learns it at its next renew (refused: lost), then claims again when it may.
void ClusterNode::fenced(cluster::HeldLease lease, const std::string& why) {
  if (auto* worker = worker_of(lease)) {
    spdlog::warn("shard {} (epoch {}): stopped after fencing refused a commit: {}", lease.shard, lease.epoch, why);
    worker->stop_now();
    remove_worker(lease.shard);
  }
}

void ClusterNode::poll_registry() {
  try {
    known_clinics_ = registry_.clinics_by_shard();
    for (auto& [shard, worker] : workers_) {
      const auto it = known_clinics_.find(shard);
      if (it != known_clinics_.end()) worker->add_filters(topic_filters(it->second));
    }
    take_arrivals();
  } catch (const cluster::ClusterError& e) {
    spdlog::warn("cluster: the clinic registry could not be read ({}); trying again", e.what());
  }
  poll_timer_.expires_after(options_.registry_poll);
  poll_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) poll_registry();
  });
}

// A clinic goes live when the lobby reads the marker, which comes after everything the broker queued for
// the lobby before this session held the clinic's subscriptions: the lobby keeps all of that, and the
// owner takes it once it sees the clinic live. Until then the marker is published again at every poll
// (one lost with a connection, or sent before the lobby's session existed, is sent again).
void ClusterNode::take_arrivals() {
  for (const auto& arrival : registry_.arrivals()) {
    const auto it = workers_.find(arrival.shard);
    if (it == workers_.end()) continue;
    auto& worker = *it->second;
    if (!take_from_lobby(worker, arrival.clinic)) return;
    if (arrival.live) continue;
    const std::vector<protocol::ClinicId> clinic{arrival.clinic};
    const auto filters = topic_filters(clinic);
    worker.add_filters(filters);
    if (worker.subscribed_to(filters)) worker.publish_live(arrival.clinic);
  }
}

bool ClusterNode::take_from_lobby(ShardWorker& worker, const protocol::ClinicId& clinic) {
  constexpr std::size_t batch = 500;
  const auto lease = worker.lease();
  try {
    for (;;) {
      const auto kept = registry_.lobby_messages(clinic, batch);
      if (kept.empty()) return true;
      std::vector<fleet::Fleet::Received> received;
      received.reserve(kept.size());
      const auto now = std::chrono::steady_clock::now();
      for (const auto& m : kept) received.push_back({m.topic, m.payload, m.retained, now, m.id});
      const auto judged = worker.fleet().ingest(received, std::nullopt);
      for (std::size_t i = 0; i < judged.size(); ++i) {
        if (judged[i].disposition == fleet::Fleet::Disposition::quarantined) {
          spdlog::warn("quarantined: topic={} reason={} detail={}", kept[i].topic, judged[i].reason, judged[i].detail);
        }
      }
      spdlog::info("shard {}: {} message(s) of clinic {} taken from the lobby", lease.shard, kept.size(), clinic.str());
    }
  } catch (const cluster::ClusterError& e) {
    spdlog::warn("shard {}: the lobby's messages of clinic {} could not be read ({}); trying again", lease.shard,
                 clinic.str(), e.what());
    return false;
  } catch (const store::FencedOut& e) {
    fenced(lease, e.what());
    return false;
  } catch (const std::exception& e) {
    fatal_("shard " + std::to_string(lease.shard) + ": storing the lobby's messages of clinic " + clinic.str() +
           " failed: " + e.what());
    return false;
  }
}

}  // namespace sterifleet::app
