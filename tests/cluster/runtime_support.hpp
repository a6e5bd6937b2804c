// What the shard runtime's tests share: a pen's traffic, publishing it from a process of its own, the
// shards' and the lobby's sessions made at the broker beforehand, counting rows, a node's options.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>
#include <map>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "cluster_node.hpp"
#include "lobby.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/time.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/persistent_session.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::app::runtime_test {

using namespace std::chrono_literals;
using sterifleet::testing::make_persistent_session;
using sterifleet::testing::Mosquitto;
using sterifleet::testing::run_to_completion;

inline protocol::Timestamp now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

struct Message {
  std::string topic;
  std::string payload;
};

/// A pen's day in `clinic`: born, a session, then a second session with the same cartridge and no
/// reprocessing between (cartridge.reused, device.used_without_reprocessing). `first_seq` continues a pen.
inline std::vector<Message> pen_traffic(const std::string& clinic, const std::string& pen,
                                        std::uint64_t first_seq = 1) {
  const auto at = now_ms() - 10min;
  protocol::Cartridge cartridge{protocol::CartridgeId{"CRT-" + pen},
                                protocol::LotId{"L1"},
                                *protocol::parse_date("2030-06-30"),
                                12,
                                300'000,
                                3600s};
  std::vector<protocol::Body> bodies{protocol::Birth{protocol::DeviceKind::pen, "Dermapen 4", "1.0", std::nullopt}};
  for (const auto* session : {"S1", "S2"}) {
    bodies.emplace_back(protocol::SessionStart{protocol::SessionId{session}, cartridge, protocol::Millimetres{1.0},
                                               protocol::Hertz{100}, protocol::OperatorId{"op"},
                                               protocol::PatientRef{std::string("pt-") + session},
                                               protocol::TreatmentArea::cheek});
    bodies.emplace_back(protocol::SessionEnd{protocol::SessionId{session}, 20'000, 900s});
  }
  std::vector<Message> messages;
  std::uint64_t seq = first_seq;
  for (auto& body : bodies) {
    const protocol::DeviceMessage message{
        protocol::ClinicId{clinic}, {protocol::DeviceId{pen}, 1, seq, at + std::chrono::seconds(seq)}, std::move(body)};
    messages.push_back({protocol::topic_of(message), protocol::encode(message)});
    ++seq;
  }
  return messages;
}

/// From a process of its own, in order (Paho serves every client of this process from one thread).
inline void publish(const Mosquitto& broker, const std::vector<Message>& messages) {
  for (const auto& m : messages) {
    const auto done = run_to_completion({"mosquitto_pub", "-h", broker.host(), "-p", std::to_string(broker.port()),
                                         "-q", "1", "-i", "test-publisher", "-t", m.topic, "-m", m.payload});
    ASSERT_EQ(done.status, 0) << done.output;
  }
}

/// The shards' and the lobby's persistent sessions exist at the broker before any daemon connects them (as
/// once a cluster has run): what is published for them waits there, whoever holds the shard.
inline void create_sessions(const Mosquitto& broker, const cluster::ShardMap& map) {
  for (cluster::Shard shard = 0; shard < map.shards(); ++shard) {
    std::vector<protocol::ClinicId> none;
    const auto filters = map.topic_filters(shard, none);
    if (!filters.empty()) make_persistent_session(broker, map.client_id(shard), filters);
  }
  make_persistent_session(broker, std::string(lobby_client_id), lobby_filters());
}

inline long long count(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::read_transaction tx(connection);
  return tx.exec1(sql)[0].as<long long>();
}

inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 15s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// Short leases keep the tests fast: a hand-over takes a live window, a takeover after a kill a round.
inline cluster::LeaseTiming fast_timing() {
  return {.ttl = 2000ms, .renew_interval = 400ms, .safety_margin = 400ms, .live_window = 2000ms};
}

inline ClusterNodeOptions node_options(const std::string& url, const Mosquitto& broker, const std::string& daemon,
                                       int shards, std::map<protocol::ClinicId, cluster::Shard> pins) {
  std::vector<std::string> clinics;
  for (const auto& [clinic, shard] : pins) clinics.push_back(clinic.str());
  return {.daemon_id = daemon,
          .store_url = url,
          .map = cluster::ShardMap(shards, std::move(pins)),
          .clinics = clinics,
          .timing = fast_timing(),
          .mqtt = {.url = broker.url()},
          .tick = 60s,  // no offline detection: the alerts are compared with a fleet that never ticks
          .registry_poll = 200ms};
}

// The shards' live events: no test here reads them.
inline fleet::EventBus& test_events() {
  static fleet::EventBus bus;
  return bus;
}

inline ClusterNode::FatalHandler failing_test() {
  return [](const std::string& why) {
    spdlog::critical("{}", why);
    std::abort();  // must not return: a test that got here has failed
  };
}

/// (rule, device, state) of every alert of a store.
inline std::multiset<std::tuple<std::string, std::string, std::string>> alerts_of(store::Store& store) {
  std::multiset<std::tuple<std::string, std::string, std::string>> alerts;
  store::AlertQuery query;
  query.page.limit = 1000;
  for (const auto& row : store.alerts(query).rows) {
    alerts.emplace(row.at("rule").get<std::string>(), row.at("device").get<std::string>(),
                   row.at("state").get<std::string>());
  }
  return alerts;
}

class NullCommands : public fleet::CommandSink {
 public:
  void publish(const std::string&, const std::string&) override {}
};

}  // namespace sterifleet::app::runtime_test
