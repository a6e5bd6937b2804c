// Takeover time of a cluster's shard (issue 17): three sterifleetd on one PostgreSQL (its own, fsync on)
// and one Mosquitto (tests/support), the simulator's paced flood of three clinics, one a shard, with the
// default leases (ttl 10 s, renewed every 2 s). Each round the owner of a shard is
//   kill:  SIGKILLed: its session to PostgreSQL ends and with it its advisory lock, so another daemon may
//          claim the unexpired lease at once (the fast path);
//   pause: SIGSTOPped: it keeps its session and its lock, so the lease is claimed only once it expired,
//          by the database's clock: what every takeover costs without the fast path;
// and the takeover time is the first commit of the shard's next epoch (commits.committed_at, the
// database's clock) minus the moment the signal was sent (this machine's clock, the same one). The
// owner is then started again (the paused one killed first), and the next round waits until every
// shard is held and committing again.
// Usage: cluster_takeover_bench <sterifleetd> <sterifleet-sim> [rounds] [kill|pause|both]
// One JSON line per round, then one per mode: p50 and p99 (nearest rank: with 10 rounds, the largest).
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/postgres.hpp"
#include "sterifleet/testing/simulator.hpp"

namespace {

using namespace std::chrono_literals;
using namespace sterifleet::testing;

constexpr int kShards = 4;  // shard 0 keeps the fleet's own records; the flood's clinics are 1 to 3

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

DaemonOptions cluster_daemon(const std::string& binary, const Mosquitto& broker, const std::string& url,
                             const std::string& id) {
  DaemonOptions options(binary, broker.url(),
                        {{"store.url", quoted(url)},
                         {"cluster.daemon_id", quoted(id)},
                         {"cluster.shards", std::to_string(kShards)},
                         {"cluster.pins", R"({ "FLOOD-001" = 1, "FLOOD-002" = 2, "FLOOD-003" = 3 })"},
                         {"cluster.clinics", R"(["FLOOD-001", "FLOOD-002", "FLOOD-003"])"},
                         {"log.level", quoted("warn")}});
  options.ready_timeout = 60s;
  return options;
}

struct Lease {
  std::string owner;
  long long epoch = 0;
};

/// Each shard's live owner and epoch, once every clinic shard is held by a live lease whose epoch has
/// committed (its owner works); throws after a minute.
std::vector<Lease> settled_leases(const std::string& url) {
  const auto give_up = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < give_up) {
    pqxx::connection connection(url);
    pqxx::read_transaction tx(connection);
    std::vector<Lease> leases(kShards);
    int working = 0;
    for (const auto& row : tx.exec(
             "SELECT l.shard, l.owner, l.epoch, EXISTS (SELECT 1 FROM commits c WHERE c.shard = l.shard AND "
             "c.epoch = l.epoch) FROM shard_leases l WHERE l.owner IS NOT NULL AND l.expires_at > clock_timestamp()")) {
      const auto shard = row[0].as<int>();
      leases[static_cast<std::size_t>(shard)] = {row[1].as<std::string>(), row[2].as<long long>()};
      if (shard > 0 && row[3].as<bool>()) ++working;
    }
    if (working == kShards - 1) return leases;
    std::this_thread::sleep_for(100ms);
  }
  throw std::runtime_error("the clinic shards were not all held and committing within a minute");
}

/// Waits until the three clinics are live (their shards' sessions subscribed): the broker keeps their
/// messages from then on, whoever holds the shard.
void wait_until_live(const std::string& url) {
  const auto give_up = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < give_up) {
    pqxx::connection connection(url);
    pqxx::read_transaction tx(connection);
    if (tx.exec1("SELECT count(*) FROM clinic_shards WHERE live")[0].as<int>() == kShards - 1) return;
    std::this_thread::sleep_for(100ms);
  }
  throw std::runtime_error("the clinics were not live within a minute");
}

/// Milliseconds since the epoch of the first commit of `shard` with an epoch after `epoch`; polls.
long long first_commit_after(const std::string& url, int shard, long long epoch) {
  pqxx::connection connection(url);
  const auto give_up = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < give_up) {
    pqxx::read_transaction tx(connection);
    const auto at = tx.exec_params1(
        "SELECT (extract(epoch FROM min(committed_at)) * 1000)::bigint FROM commits "
        "WHERE shard = $1 AND epoch > $2",
        shard, epoch)[0];
    if (!at.is_null()) return at.as<long long>();
    tx.commit();
    std::this_thread::sleep_for(20ms);
  }
  throw std::runtime_error("shard " + std::to_string(shard) + " was not taken over within 2 minutes");
}

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double nearest_rank(std::vector<double> values, double percentile) {
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(percentile / 100.0 * static_cast<double>(values.size())));
  return values[std::max<std::size_t>(rank, 1) - 1];
}

std::vector<double> rounds_of(const std::string& mode, int rounds, std::vector<std::unique_ptr<Daemon>>& daemons,
                              const std::vector<std::string>& ids, const std::string& url) {
  std::vector<double> seconds;
  for (int round = 0; round < rounds; ++round) {
    const auto leases = settled_leases(url);
    const int shard = 1 + round % (kShards - 1);
    const auto& lease = leases[static_cast<std::size_t>(shard)];
    const auto victim = static_cast<std::size_t>(std::find(ids.begin(), ids.end(), lease.owner) - ids.begin());
    if (victim == ids.size()) throw std::runtime_error("shard owned by a stranger: " + lease.owner);
    const auto sent = now_ms();
    if (mode == "kill") {
      daemons[victim]->kill();
    } else {
      daemons[victim]->signal(SIGSTOP);
    }
    const auto taken = first_commit_after(url, shard, lease.epoch);
    const double took = static_cast<double>(taken - sent) / 1000.0;
    seconds.push_back(took);
    std::cout << R"({"mode":")" << mode << R"(","round":)" << round + 1 << R"(,"shard":)" << shard << R"(,"owner":")"
              << lease.owner << R"(","epoch":)" << lease.epoch << R"(,"takeover_s":)" << took << "}" << std::endl;
    daemons[victim]->kill();
    daemons[victim]->start();
  }
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: cluster_takeover_bench <sterifleetd> <sterifleet-sim> [rounds] [kill|pause|both]\n";
    return 2;
  }
  const std::string daemon_binary = argv[1];
  const std::string sim_binary = argv[2];
  const int rounds = argc > 3 ? std::stoi(argv[3]) : 10;
  const std::string modes = argc > 4 ? argv[4] : "both";
  if (rounds < 1 || (modes != "kill" && modes != "pause" && modes != "both")) {
    std::cerr << "rounds must be at least 1 and the mode one of kill, pause, both\n";
    return 2;
  }
  try {
    Postgres postgres;  // fsync on: commits wait for the WAL as in production
    const auto url = postgres.create_database("takeover");
    Mosquitto broker;
    const std::vector<std::string> ids{"bench-a", "bench-b", "bench-c"};
    std::vector<std::unique_ptr<Daemon>> daemons;
    for (const auto& id : ids)
      daemons.push_back(std::make_unique<Daemon>(cluster_daemon(daemon_binary, broker, url, id)));
    wait_until_live(url);
    // 300 msg/s from 300 devices of three clinics, for longer than the rounds can last; killed at the end.
    Simulator load(sim_binary, broker.url(),
                   {"--flood", "300", "--flood-count", "100000000", "--flood-devices", "300", "--publishers", "3",
                    "--log-level", "warn"});
    for (const std::string mode : {"kill", "pause"}) {
      if (modes != "both" && modes != mode) continue;
      const auto seconds = rounds_of(mode, rounds, daemons, ids, url);
      std::cout << R"({"mode":")" << mode << R"(","rounds":)" << rounds << R"(,"p50_s":)" << nearest_rank(seconds, 50)
                << R"(,"p99_s":)" << nearest_rank(seconds, 99) << R"(,"max_s":)"
                << *std::max_element(seconds.begin(), seconds.end()) << "}" << std::endl;
    }
    load.process().kill();
  } catch (const std::exception& e) {
    std::cerr << "cluster_takeover_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
