#include "shard_worker.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

namespace sterifleet::app {

namespace {

protocol::Timestamp system_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::unique_ptr<store::Store> open_shard_store(const ShardWorkerOptions& options) {
  return store::open_postgresql(options.store_url, {.writer = store::ShardWriter{.shard = options.lease.shard,
                                                                                 .epoch = options.lease.epoch,
                                                                                 .owner = options.owner,
                                                                                 .stall_limit = options.stall_limit},
                                                    .readers = 1});
}

// Made before the state is rebuilt, as in the single daemon. Throws std::invalid_argument for unusable
// receivers (the daemon checked them at start).
std::unique_ptr<notify::Notifier> make_notifier(const ShardWorkerOptions& options, store::Store& store,
                                                fleet::Metrics& metrics) {
  if (options.notify.receivers.empty()) return nullptr;
  auto dispatch = options.dispatch;
  dispatch.count_rows = false;  // a shard's dispatcher would count the whole outbox, once for every shard
  return std::make_unique<notify::Notifier>(options.notify, store, metrics.registry(), system_now, dispatch);
}

}  // namespace

ShardWorker::ShardWorker(ShardWorkerOptions options, engine::Policy policy, ShardWorkerHandlers handlers,
                         fleet::EventBus& events)
    : options_(std::move(options)),
      handlers_(std::move(handlers)),
      store_(open_shard_store(options_)),
      fleet_(std::move(policy), *store_, relay_, events, metrics_, system_now, options_.fleet),
      notifier_(make_notifier(options_, *store_, metrics_)),
      work_(boost::asio::make_work_guard(io_)),
      mqtt_(options_.mqtt,
            ingest::AfterCommitOptions{.filters = options_.filters,
                                       .fenced = [this](const std::string& why) { fenced(why); }},
            fleet_, metrics_, io_.get_executor(), [this](const std::string& why) { handlers_.fatal(why); }),
      ticker_(
          io_.get_executor(), options_.tick, fleet_, [this] { return mqtt_.connected(); },
          [this](std::exception_ptr failure) { failed(std::move(failure)); }),
      commands_(io_.get_executor(), options_.store_url, options_.lease, options_.owner, fleet_, options_.command_poll,
                [this](std::exception_ptr failure) { failed(std::move(failure)); }) {
  if (notifier_) {
    fleet_.plan_notifications_with(*notifier_);
    notifier_->observe_deliveries_with(deliveries_);
  }
  const auto restored = fleet_.restore();
  for (const auto& warning : restored.warnings) spdlog::warn("shard {}: {}", options_.lease.shard, warning);
  spdlog::info("shard {} (epoch {}): state rebuilt from {} and {} journal entries in {:.2f} s", options_.lease.shard,
               options_.lease.epoch,
               restored.snapshot ? "the snapshot of commit " + std::to_string(*restored.snapshot) : "no snapshot",
               restored.entries, restored.seconds);
  relay_.target = &mqtt_;
  if (options_.lobby) {
    lobby_ = std::make_unique<Lobby>(
        LobbyOptions{.store_url = options_.store_url, .map = *options_.lobby, .mqtt = options_.mqtt}, fleet_,
        io_.get_executor(),
        LobbyHandlers{.fenced = [this](const std::string& why) { fenced(why); }, .fatal = handlers_.fatal});
  }
}

ShardWorker::~ShardWorker() {
  if (!stopped_) stop_now();
}

void ShardWorker::start() {
  boost::asio::post(io_, [this] { ticker_.start(); });
  boost::asio::post(io_, [this] { commands_.start(); });
  thread_ = std::thread([this] { io_.run(); });
  mqtt_.start();
  if (notifier_) notifier_->start();
  if (lobby_) lobby_->start();
}

void ShardWorker::fenced(const std::string& why) {
  if (fenced_.exchange(true)) return;
  spdlog::error("shard {} (epoch {}): the lease is gone, fencing refused a commit: {}; stopping the shard",
                options_.lease.shard, options_.lease.epoch, why);
  handlers_.fenced(options_.lease, why);
}

// On the worker's thread, from the clock or an API command.
void ShardWorker::failed(std::exception_ptr failure) {
  try {
    std::rethrow_exception(std::move(failure));
  } catch (const store::FencedOut& e) {
    // The session closes before the node stops the worker: no message is taken in meanwhile.
    mqtt_.stop(std::chrono::milliseconds{0});
    fenced(e.what());
  } catch (const std::exception& e) {
    handlers_.fatal("shard " + std::to_string(options_.lease.shard) +
                    ": storing the effects of the clock or an API command failed: " + e.what());
  }
}

void ShardWorker::stop_threads() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
  ticker_.stop();  // its thread has ended
  commands_.stop();
  stopped_ = true;
}

void ShardWorker::stop_now() {
  if (lobby_) lobby_->stop();
  mqtt_.stop(std::chrono::milliseconds{0});
  if (notifier_) notifier_->stop();  // what it sends now is not recorded: the next owner sends it again
  stop_threads();
  spdlog::warn("shard {} (epoch {}): stopped, lease lost", options_.lease.shard, options_.lease.epoch);
}

void ShardWorker::stop_cleanly() {
  if (lobby_) lobby_->stop();
  mqtt_.stop();
  if (notifier_) notifier_->stop();  // before the release: the next owner alone delivers what is pending
  stop_threads();
  try {
    fleet_.anchor_audit();
  } catch (const store::FencedOut&) {
    throw;
  } catch (const store::StoreError& e) {  // the next owner anchors what is left; the snapshot matters more
    spdlog::error("shard {} (epoch {}): anchoring its audit chains before the hand-over failed: {}",
                  options_.lease.shard, options_.lease.epoch, e.what());
  }
  const auto snapshot = fleet_.snapshot();
  spdlog::info("shard {} (epoch {}): stopped for hand-over, snapshot of commit {} stored ({} bytes)",
               options_.lease.shard, options_.lease.epoch, snapshot.commit, snapshot.bytes);
}

}  // namespace sterifleet::app
