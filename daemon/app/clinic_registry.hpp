// Which clinics a cluster knows, and on which shard each is: the clinic_shards table every daemon of the
// cluster reads, filled from the configuration at start ([cluster] clinics and pins) and by the lobby
// (a clinic's first message); and the messages the lobby keeps for a clinic's shard.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sterifleet/cluster/shard_map.hpp"

namespace sterifleet::app {

/// One connection of its own, opened on first use and again after it broke. Not thread-safe.
class ClinicRegistry {
 public:
  ClinicRegistry(std::string url, cluster::ShardMap map);
  ~ClinicRegistry();
  ClinicRegistry(const ClinicRegistry&) = delete;
  ClinicRegistry& operator=(const ClinicRegistry&) = delete;

  /// Records each clinic (and each pinned one) on its shard, live (the lobby keeps none of its messages),
  /// if the cluster does not know it yet. Throws
  /// cluster::ClusterError naming the clinic when the cluster has it on another shard than the map says:
  /// moving a clinic to another shard is not supported yet (its history would stay with the old one).
  void register_clinics(const std::vector<std::string>& clinics);

  /// Every registered clinic, by shard.
  std::map<cluster::Shard, std::vector<protocol::ClinicId>> clinics_by_shard();

  /// A clinic its shard's owner has work for: not live yet, or with messages still in the lobby.
  struct Arrival {
    protocol::ClinicId clinic;
    cluster::Shard shard = 0;
    bool live = false;
  };
  std::vector<Arrival> arrivals();

  /// A message the lobby kept (app/lobby.hpp), as it came.
  struct LobbyMessage {
    std::int64_t id = 0;
    std::string topic;
    std::string payload;
    bool retained = false;
  };
  /// The clinic's oldest kept messages, at most `limit`, in arrival order.
  std::vector<LobbyMessage> lobby_messages(const protocol::ClinicId& clinic, std::size_t limit);

  const cluster::ShardMap& map() const { return map_; }

 private:
  struct Session;

  Session& session();

  std::string url_;
  cluster::ShardMap map_;
  std::unique_ptr<Session> session_;
};

}  // namespace sterifleet::app
