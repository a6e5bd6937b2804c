// The fleet as a cluster's daemon shows it to the API: reads from the replicas of every shard this
// daemon keeps, people's actions sent to the owner of the shard they concern. An action returns once
// this daemon's replica shows it, so that what the API answers next includes it.
#pragma once

#include <chrono>

#include "shard_replicas.hpp"
#include "sterifleet/cluster/api_commands.hpp"
#include "sterifleet/fleet/fleet_front.hpp"

namespace sterifleet::app {

class ClusterFront final : public fleet::FleetFront {
 public:
  /// Both must outlive the front.
  ClusterFront(ShardReplicas& replicas, const cluster::CommandClient& commands)
      : replicas_(replicas), commands_(commands) {}

  std::shared_ptr<const fleet::FleetView> view() const override { return replicas_.view(); }
  void visit_engines(const std::function<bool(const engine::Engine&)>& visit) const override {
    replicas_.visit_engines(visit);
  }

  fleet::Outcome acknowledge(const std::string& alert_id, const std::string& actor, std::string comment) override;
  fleet::Outcome resolve(const std::string& alert_id, const std::string& actor, std::string reason) override;
  fleet::Outcome manual_reprocessing(const nlohmann::json& entry, const std::string& actor) override;
  fleet::Outcome maintenance(const std::string& device, protocol::Timestamp from, protocol::Timestamp to,
                             std::string reason, const std::string& actor) override;
  fleet::Outcome create_token(store::NewToken token, const std::string& actor, std::string cause) override;
  fleet::Outcome revoke_token(const std::string& id, const std::string& actor, std::string cause) override;
  void record_audit(engine::AuditRecord record) override;

  /// How long an action waits for this daemon's replica to show it before answering anyway.
  static constexpr std::chrono::seconds replica_wait{5};

 private:
  fleet::Outcome seen(const cluster::CommandAnswer& answer);

  ShardReplicas& replicas_;
  const cluster::CommandClient& commands_;
};

}  // namespace sterifleet::app
