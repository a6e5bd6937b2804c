#include "cluster_front.hpp"

#include <spdlog/spdlog.h>

namespace sterifleet::app {

// The owner answered once its commit was made; this daemon's replica may be a poll behind it, and the
// API's answer (and the next read) must show the action.
fleet::Outcome ClusterFront::seen(const cluster::CommandAnswer& answer) {
  if (answer.commit && !replicas_.wait_for(answer.shard, *answer.commit, replica_wait)) {
    spdlog::warn("shard {}: the replica did not reach commit {} within {} s; the answer may not show the action yet",
                 answer.shard, *answer.commit, replica_wait.count());
  }
  return answer.outcome;
}

fleet::Outcome ClusterFront::acknowledge(const std::string& alert_id, const std::string& actor, std::string comment) {
  return seen(commands_.acknowledge(alert_id, actor, comment));
}

fleet::Outcome ClusterFront::resolve(const std::string& alert_id, const std::string& actor, std::string reason) {
  return seen(commands_.resolve(alert_id, actor, reason));
}

fleet::Outcome ClusterFront::manual_reprocessing(const nlohmann::json& entry, const std::string& actor) {
  return seen(commands_.manual_reprocessing(entry, actor));
}

fleet::Outcome ClusterFront::maintenance(const std::string& device, protocol::Timestamp from, protocol::Timestamp to,
                                         std::string reason, const std::string& actor) {
  return seen(commands_.maintenance(device, from, to, reason, actor));
}

fleet::Outcome ClusterFront::create_token(store::NewToken token, const std::string& actor, std::string cause) {
  return seen(commands_.create_token(token, actor, cause));
}

fleet::Outcome ClusterFront::revoke_token(const std::string& id, const std::string& actor, std::string cause) {
  return seen(commands_.revoke_token(id, actor, cause));
}

void ClusterFront::record_audit(engine::AuditRecord record) { seen(commands_.record_audit(record)); }

}  // namespace sterifleet::app
