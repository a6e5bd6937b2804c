// A cluster daemon reduced to its node (no HTTP, no notifications): runs a ClusterNode until SIGTERM
// (a clean stop) or until killed, so that a test can SIGKILL a real process that runs shards.
// Usage: cluster_node_process <store url> <broker url> <daemon id> <shards> <ttl ms> <clinic=shard>...
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "cluster_node.hpp"
#include "sterifleet/engine/policy.hpp"

namespace {

volatile std::sig_atomic_t stop_requested = 0;

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::cerr
        << "usage: cluster_node_process <store url> <broker url> <daemon id> <shards> <ttl ms> <clinic=shard>...\n";
    return 2;
  }
  using namespace sterifleet;
  using std::chrono::milliseconds;
  std::map<protocol::ClinicId, cluster::Shard> pins;
  std::vector<std::string> clinics;
  for (int i = 6; i < argc; ++i) {
    const std::string pin = argv[i];
    const auto equals = pin.find('=');
    pins.emplace(protocol::ClinicId(pin.substr(0, equals)), std::stoi(pin.substr(equals + 1)));
    clinics.push_back(pin.substr(0, equals));
  }
  const milliseconds ttl{std::stoll(argv[5])};
  app::ClusterNodeOptions options{
      .daemon_id = argv[3],
      .store_url = argv[1],
      .map = cluster::ShardMap(std::stoi(argv[4]), pins),
      .clinics = clinics,
      .timing = {.ttl = ttl, .renew_interval = ttl / 5, .safety_margin = ttl / 5, .live_window = ttl},
      .mqtt = {.url = argv[2]},
      .registry_poll = milliseconds{200}};
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  fleet::EventBus events;
  app::ClusterNode node(
      std::move(options), engine::default_policy(),
      [](const std::string& why) {
        spdlog::critical("{}", why);
        std::_Exit(3);
      },
      events);
  node.start();
  std::cout << "started" << std::endl;
  while (!stop_requested) std::this_thread::sleep_for(milliseconds{20});
  node.stop();
  return 0;
}
