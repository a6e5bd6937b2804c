// A daemon reduced to its lease: claims one shard, says so on stdout, and then does nothing (no renews),
// so that a test can SIGKILL or SIGSTOP a real process that holds a lease.
// Usage: lease_holder <url> <daemon id> <shards> <shard> <ttl ms>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "sterifleet/cluster/lease_table.hpp"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: lease_holder <url> <daemon id> <shards> <shard> <ttl ms>\n";
    return 2;
  }
  using namespace sterifleet::cluster;
  LeaseTable table(LeaseTableOptions{.url = argv[1],
                                     .daemon_id = argv[2],
                                     .ttl = std::chrono::milliseconds{std::stoll(argv[5])},
                                     .statement_timeout = std::chrono::milliseconds{5000}});
  table.init(std::stoi(argv[3]));
  const auto epoch = table.claim(std::stoi(argv[4]));
  if (!epoch) {
    std::cerr << "lease_holder: shard " << argv[4] << " is held by another daemon\n";
    return 1;
  }
  std::cout << "claimed " << *epoch << std::endl;
  while (true) std::this_thread::sleep_for(std::chrono::hours{1});
}
