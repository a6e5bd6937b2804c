#include "shard_replicas.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

namespace sterifleet::app {

namespace {

constexpr int kMostShards = 1024;  // the cluster table's bound
constexpr int kSeveralShards = -1;
/// How soon wait_for() looks again for a commit it did not find (asked for before it was stored, or the
/// database failed).
constexpr std::chrono::milliseconds kRetry{20};

protocol::Timestamp system_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

int checked_shards(int shards) {
  if (shards < 1 || shards > kMostShards) {
    throw std::invalid_argument("replicas of " + std::to_string(shards) + " shards: a cluster has 1 to " +
                                std::to_string(kMostShards));
  }
  return shards;
}

}  // namespace

struct ShardReplicas::Replica {
  Replica(int of, const ShardReplicasOptions& options, const std::shared_ptr<store::PostgresReaders>& readers,
          engine::Policy policy, fleet::CommandSink& commands, fleet::EventBus& events, fleet::Metrics& metrics)
      : shard(of),
        store(store::open_postgresql(options.store_url,
                                     {.writer = std::nullopt, .shard = of, .shared_readers = readers})),
        fleet(std::move(policy), *store, commands, events, metrics, system_now, options.fleet) {}

  const int shard;
  const std::unique_ptr<store::Store> store;
  fleet::Fleet fleet;
  std::timed_mutex catching_up;  ///< one load or catch-up at a time (the poll's or a wait_for's)
  std::atomic<bool> loaded{false};
  std::atomic<std::int64_t> applied{0};
  std::string failing;  ///< the failure last logged, until it succeeds again; guarded by catching_up
};

ShardReplicas::ShardReplicas(ShardReplicasOptions options, engine::Policy policy)
    : options_(std::move(options)), readers_(store::open_postgresql_readers(options_.store_url, options_.connections)) {
  const int shards = checked_shards(options_.shards);
  replicas_.reserve(static_cast<std::size_t>(shards));
  for (int shard = 0; shard < shards; ++shard) {
    replicas_.push_back(
        std::make_unique<Replica>(shard, options_, readers_, policy, no_commands_, no_events_, no_metrics_));
  }
  merged_from_.resize(replicas_.size());
}

ShardReplicas::~ShardReplicas() { stop(); }

void ShardReplicas::start() {
  std::lock_guard lock(run_mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void ShardReplicas::stop() {
  {
    std::lock_guard lock(run_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ShardReplicas::run() {
  std::unique_lock lock(run_mutex_);
  while (!stopping_) {
    lock.unlock();
    poll();
    lock.lock();
    wake_.wait_for(lock, options_.poll, [&] { return stopping_; });
  }
}

void ShardReplicas::poll() {
  std::vector<std::int64_t> last;
  try {
    last = store::postgresql_last_commits(*readers_, options_.shards);
    if (poll_failing_) spdlog::info("replicas: the shards' last commits can be read again");
    poll_failing_ = false;
  } catch (const store::StoreError& e) {
    if (!poll_failing_) spdlog::error("replicas: {}; the API shows the shards as last read, trying again", e.what());
    poll_failing_ = true;
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  for (auto& replica : replicas_) {
    {
      std::lock_guard lock(run_mutex_);
      if (stopping_) return;
    }
    const auto through = last[static_cast<std::size_t>(replica->shard)];
    if (replica->loaded && through <= replica->applied) continue;
    std::unique_lock lock(replica->catching_up);
    catch_up(*replica, through);
  }
  if (!loaded_ && std::all_of(replicas_.begin(), replicas_.end(), [](const auto& r) { return r->loaded.load(); })) {
    spdlog::info("replicas: the {} shards are loaded (this round took {:.2f} s)", replicas_.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    loaded_ = true;
  }
}

// `through` was read before the journal is: the commits up to it are all in the journal read, also those
// that stored no journal entry (an alert's commit of its own), so the replica has applied them too.
void ShardReplicas::catch_up(Replica& replica, std::int64_t through) {
  try {
    if (!replica.loaded) {
      // After a failure, follow() starts over from the newest snapshot or goes on where it stopped.
      const auto stats = replica.fleet.follow();
      for (const auto& warning : stats.warnings) spdlog::warn("replica of shard {}: {}", replica.shard, warning);
      spdlog::debug("replica of shard {}: loaded from {} and {} journal entries in {:.2f} s", replica.shard,
                    stats.snapshot ? "the snapshot of commit " + std::to_string(*stats.snapshot) : "no snapshot",
                    stats.entries, stats.seconds);
      replica.loaded = true;
    } else {
      replica.fleet.catch_up();
    }
    replica.applied = std::max(through, replica.fleet.journal_position());
    if (!replica.failing.empty()) spdlog::info("replica of shard {}: up to date again", replica.shard);
    replica.failing.clear();
  } catch (const std::exception& e) {
    // Stays where it stopped (every entry replayed is one the shard stored): reads show it behind.
    if (replica.failing != e.what()) {
      spdlog::error("replica of shard {}: catching up from commit {} failed: {}; trying again", replica.shard,
                    replica.applied.load(), e.what());
    }
    replica.failing = e.what();
  }
}

ShardReplicas::Replica& ShardReplicas::replica(int shard) const {
  if (shard < 0 || shard >= std::ssize(replicas_)) {
    throw std::out_of_range("shard " + std::to_string(shard) + " is not one of the cluster's " +
                            std::to_string(replicas_.size()) + " (0 to " + std::to_string(replicas_.size() - 1) + ")");
  }
  return *replicas_[static_cast<std::size_t>(shard)];
}

std::int64_t ShardReplicas::applied(int shard) const { return replica(shard).applied; }

bool ShardReplicas::wait_for(int shard, std::int64_t commit, std::chrono::milliseconds timeout) {
  auto& r = replica(shard);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (r.applied < commit) {
    {
      std::unique_lock lock(r.catching_up, deadline);
      if (!lock.owns_lock()) return false;
      if (r.applied >= commit) return true;
      try {
        catch_up(r, store::postgresql_last_commits(*readers_, options_.shards)[static_cast<std::size_t>(shard)]);
      } catch (const store::StoreError& e) {
        spdlog::warn("replica of shard {}: waiting for commit {}: {}", shard, commit, e.what());
      }
    }
    if (r.applied >= commit) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(kRetry, deadline - now));
  }
  return true;
}

void ShardReplicas::visit_engines(const std::function<bool(const engine::Engine&)>& visit) const {
  for (const auto& replica : replicas_) {
    bool done = false;
    replica->fleet.visit_engines([&](const engine::Engine& engine) {
      done = visit(engine);
      return done;
    });
    if (done) return;
  }
}

std::shared_ptr<const fleet::FleetView> ShardReplicas::view() const {
  std::lock_guard lock(merge_mutex_);
  merge();
  return merged_;
}

std::optional<int> ShardReplicas::shard_of_device(const std::string& device) const {
  std::lock_guard lock(merge_mutex_);
  merge();
  const auto found = device_shards_.find(device);
  if (found == device_shards_.end() || found->second == kSeveralShards) return std::nullopt;
  return found->second;
}

void ShardReplicas::merge() const {
  std::vector<std::shared_ptr<const fleet::FleetView>> views;
  views.reserve(replicas_.size());
  for (const auto& replica : replicas_) views.push_back(replica->fleet.view());
  if (merged_ && views == merged_from_) return;
  auto merged = std::make_shared<fleet::FleetView>();
  std::unordered_map<std::string, int> device_shards;
  for (std::size_t shard = 0; shard < views.size(); ++shard) {
    for (const auto& [key, device] : views[shard]->devices) {
      merged->devices.emplace(key, device);
      const auto [at, added] = device_shards.try_emplace(device->id, static_cast<int>(shard));
      if (!added && at->second != static_cast<int>(shard)) at->second = kSeveralShards;
    }
    for (const auto& [clinic, counts] : views[shard]->clinics) {
      auto& sum = merged->clinics[clinic];
      sum.devices += counts.devices;
      sum.pens += counts.pens;
      sum.sterilizers += counts.sterilizers;
      sum.open_alerts += counts.open_alerts;
      sum.critical_alerts += counts.critical_alerts;
    }
  }
  merged_from_ = std::move(views);
  merged_ = std::move(merged);
  device_shards_ = std::move(device_shards);
}

}  // namespace sterifleet::app
