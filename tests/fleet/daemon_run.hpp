// One run of the fleet (a Fleet on a real SQLite file) on a clock the test sets.
#pragma once

#include <filesystem>
#include <memory>

#include "sterifleet/engine/snapshot.hpp"
#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/protocol/codec.hpp"

namespace sterifleet::fleet::testing {

namespace fs = std::filesystem;
using nlohmann::json;

class NullSink : public CommandSink {
 public:
  void publish(const std::string&, const std::string&) override {}
};

/// One run of the fleet on a store file, on a clock the test sets.
class DaemonRun {
 public:
  explicit DaemonRun(const fs::path& db, FleetOptions options = {}, engine::Policy policy = engine::default_policy())
      : store_(store::open_sqlite(db.string())),
        fleet_(std::make_unique<Fleet>(
            std::move(policy), *store_, sink_, events_, metrics_, [this] { return now_; }, options)) {}

  Fleet& fleet() { return *fleet_; }
  store::Store& store() { return *store_; }
  void set_clock(Timestamp now) { now_ = now; }

  Fleet::RestoreStats restore(Timestamp now) {
    now_ = now;
    return fleet_->restore();
  }
  Fleet::Ingested send(const protocol::DeviceMessage& message, Timestamp now) {
    now_ = now;
    return fleet_->ingest(protocol::topic_of(message), protocol::encode(message));
  }
  Fleet::Ingested raw(const std::string& topic, const std::string& payload, Timestamp now) {
    now_ = now;
    return fleet_->ingest(topic, payload);
  }
  std::vector<Fleet::Ingested> group(std::span<const Fleet::Received> messages, Timestamp now,
                                     std::optional<std::int64_t> receipt) {
    now_ = now;
    return fleet_->ingest(messages, receipt);
  }
  void tick(Timestamp now) {
    now_ = now;
    fleet_->tick();
  }
  /// The first active alert by id, or "".
  std::string first_active_alert() {
    return fleet_->read([](const engine::Engine& engine) {
      std::string first;
      engine.for_each_alert([&](const engine::Alert& a) {
        if (a.active() && (first.empty() || a.id < first)) first = a.id;
      });
      return first;
    });
  }
  std::string state() {
    return fleet_->read([](const engine::Engine& engine) { return engine.snapshot(); });
  }
  json state_json() {
    return fleet_->read([](const engine::Engine& engine) { return engine.snapshot_json(); });
  }

 private:
  Timestamp now_{};
  NullSink sink_;
  EventBus events_;
  Metrics metrics_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Fleet> fleet_;  // after the store: destroyed first
};

}  // namespace sterifleet::fleet::testing
