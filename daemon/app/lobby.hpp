// A cluster's lobby: one persistent session subscribed to every clinic's device topics, run beside shard
// 0's worker (so exactly one daemon runs it), so that a clinic nobody registered is still heard. A message
// of a clinic that is not live yet registers the clinic on its shard and is kept in lobby_messages before
// it is acknowledged; the shard's owner judges those (ClusterNode). A clinic goes live when the lobby reads
// the marker its shard's owner publishes once its session holds the clinic's subscriptions: everything the
// broker queued for the lobby before the marker may have been published before that subscription, so it
// is kept; what comes after the marker reaches the shard's session too, and is ignored here.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sterifleet/cluster/shard_map.hpp"
#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/ingest/broker_client.hpp"
#include "sterifleet/ingest/mqtt_options.hpp"
#include "sterifleet/ingest/reconnector.hpp"

namespace sterifleet::app {

inline constexpr std::string_view lobby_client_id = "sterifleetd-lobby";
/// Where a shard's owner says "my session now holds this clinic's subscriptions" (payload: the clinic).
inline constexpr std::string_view lobby_live_topic = "sterifleet/v1/_fleet/lobby/live";

/// What the lobby subscribes to: every device channel of every clinic, and the live marker.
std::vector<std::string> lobby_filters();

struct LobbyOptions {
  std::string store_url;     ///< postgresql://...
  cluster::ShardMap map;     ///< the shard a new clinic is registered on
  ingest::MqttOptions mqtt;  ///< its client id is replaced by lobby_client_id
};

struct LobbyHandlers {
  /// Fencing refused the quarantine of a message (shard 0's lease is gone); the lobby has disconnected.
  /// Runs on the client's thread: post the stop elsewhere and return.
  std::function<void(const std::string& why)> fenced;
  /// Any other storage failure: the process must end (must not return).
  std::function<void(const std::string& why)> fatal;
};

/// start() and stop() from one thread; messages are handled on the broker client's thread.
class Lobby {
 public:
  /// `quarantine`: shard 0's fleet, which keeps a message whose topic names no valid clinic as the single
  /// daemon's ingest would. `executor` runs the reconnection.
  Lobby(LobbyOptions options, fleet::Fleet& quarantine, boost::asio::any_io_executor executor, LobbyHandlers handlers);
  ~Lobby();
  Lobby(const Lobby&) = delete;
  Lobby& operator=(const Lobby&) = delete;

  /// Connects in the background, and again after every loss.
  void start();
  /// Disconnects; waits for a message being kept. Stops the reconnection, so call it from no handler.
  void stop();
  bool connected() const;

 private:
  struct Database;

  void on_message(ingest::InboundMessage message);
  void on_connected();
  /// False when it failed (fatal or fenced was called).
  bool keep(const protocol::ClinicId& clinic, const ingest::InboundMessage& message);
  bool mark_live(std::string_view clinic);
  bool quarantine(const ingest::InboundMessage& message);
  void close_after_fencing(const std::string& why);

  LobbyOptions options_;
  fleet::Fleet& quarantine_;
  LobbyHandlers handlers_;
  std::unique_ptr<Database> database_;  ///< the client's thread only
  std::set<std::string> live_;          ///< the client's thread only: clinics known live (never unset)
  std::unique_ptr<ingest::BrokerClient> client_;
  ingest::Reconnector reconnector_;
  mutable std::mutex state_mutex_;
  bool connected_ = false;  ///< guarded by state_mutex_
  bool closed_ = false;     ///< guarded by state_mutex_: fenced, nothing more is acknowledged
};

}  // namespace sterifleet::app
