// Sustained ingest of a cluster (issue 17): one sterifleetd on PostgreSQL against the same daemon on
// SQLite, and three daemons sharing the shards against one, in one run on one machine.
//
// Each round, each way drains the same backlog alone: a fresh Mosquitto (tests/support), the way's
// persistent sessions (the single daemon's by starting it once; a cluster's shard and lobby sessions as
// a cluster that has run has them), then one backlog of QoS 1
// messages from the simulator's flood (300 devices of three clinics, FLOOD-001..003, pinned to shards
// 1-3 of four), then the daemons started again. The rate is what they stored over the span of the
// store's own receipt times (`received_at`, from the first stored group to the last), so that starting
// the daemons and watching them count for nothing. Ways:
//   sqlite: one daemon, SQLite (acknowledged once in its receipt log, commits grouped);
//   pg-1:   one daemon of a cluster on a private PostgreSQL 15 (fsync on), holding every shard;
//   pg-3:   three daemons of a cluster on it, a clinic shard each once they share the shards.
// Usage: cluster_ingest_bench <sterifleetd> <sterifleet-sim> [messages (20000)] [rounds (3)]
// One JSON line per way and round (and the shards' owners meanwhile), then one per way: the median rate
// and the range; then PostgreSQL's own commit rate from one and from three clients (pgbench), the floor
// a commit per message stands on.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sterifleet/protocol/topic.hpp"
#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/persistent_session.hpp"
#include "sterifleet/testing/postgres.hpp"
#include "sterifleet/testing/simulator.hpp"
#include "sterifleet/testing/sqlite_file.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace {

using namespace std::chrono_literals;
using namespace sterifleet::testing;

constexpr int kShards = 4;
constexpr int kClinics = 3;

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

struct Way {
  std::string name;
  int daemons = 1;
  bool postgresql = false;
};

/// Rows stored (messages and quarantined ones) and their receipt times, from whichever store.
struct Received {
  long long rows = 0;
  long long first_ms = 0;
  long long first_group = 0;  ///< rows received in the first millisecond: the span starts after them
  long long last_ms = 0;
};

// The same text for both stores: count, first and last receipt, and the rows of the first.
constexpr const char* kReceivedSql =
    "WITH r AS (SELECT received_at FROM messages UNION ALL SELECT received_at FROM quarantine) "
    "SELECT count(*), coalesce(min(received_at), 0), coalesce(max(received_at), 0), "
    "count(*) FILTER (WHERE received_at = (SELECT min(received_at) FROM r)) FROM r";

Received received_in_postgresql(const std::string& url) {
  pqxx::connection connection(url);
  pqxx::read_transaction tx(connection);
  const auto row = tx.exec1(kReceivedSql);
  return {row[0].as<long long>(), row[1].as<long long>(), row[3].as<long long>(), row[2].as<long long>()};
}

Received received_in_sqlite(const std::filesystem::path& db) {
  const auto row = sqlite_rows(db, kReceivedSql).at(0);
  return {std::stoll(row[0]), std::stoll(row[1]), std::stoll(row[3]), std::stoll(row[2])};
}

DaemonOptions daemon_options(const std::string& binary, const Mosquitto& broker, const Way& way, const std::string& url,
                             const std::string& id) {
  std::map<std::string, std::string> settings{{"log.level", quoted("warn")}};
  if (way.postgresql) {
    settings.insert({{"store.url", quoted(url)},
                     {"cluster.daemon_id", quoted(id)},
                     {"cluster.shards", std::to_string(kShards)},
                     {"cluster.pins", R"({ "FLOOD-001" = 1, "FLOOD-002" = 2, "FLOOD-003" = 3 })"},
                     {"cluster.clinics", R"(["FLOOD-001", "FLOOD-002", "FLOOD-003"])"}});
  }
  DaemonOptions options(binary, broker.url(), std::move(settings));
  options.ready_timeout = 60s;
  return options;
}

/// The sessions of the cluster's shards (client ids and filters as sterifleetd has them: daemon/README.md)
/// and of its lobby, which hears every clinic.
void make_cluster_sessions(const Mosquitto& broker) {
  std::vector<std::string> lobby;
  for (const auto channel : sterifleet::protocol::device_channels) {
    lobby.push_back(sterifleet::protocol::channel_filter(channel));
  }
  lobby.emplace_back("sterifleet/v1/_fleet/lobby/live");
  make_persistent_session(broker, "sterifleetd-lobby", lobby);
  for (int clinic = 1; clinic <= kClinics; ++clinic) {
    const sterifleet::protocol::ClinicId id{"FLOOD-00" + std::to_string(clinic)};
    std::vector<std::string> filters;
    for (const auto channel : sterifleet::protocol::device_channels) {
      filters.push_back(sterifleet::protocol::channel_filter(channel, id));
    }
    make_persistent_session(broker, "sterifleetd-shard-" + std::to_string(clinic), filters);  // pinned: shard = clinic
  }
}

/// The way's rate in one round, in stored rows a second.
double drain(const Way& way, const std::string& daemon_binary, const std::string& sim_binary, long long messages,
             Postgres& postgres, int round) {
  Mosquitto broker;
  const std::string url = way.postgresql
                              ? postgres.create_database("ingest_" + way.name.substr(0, 2) + "_" +
                                                         std::to_string(way.daemons) + "_" + std::to_string(round))
                              : std::string();
  std::vector<std::unique_ptr<Daemon>> daemons;
  for (int i = 0; i < way.daemons; ++i) {
    daemons.push_back(std::make_unique<Daemon>(
        daemon_options(daemon_binary, broker, way, url, "bench-" + std::string(1, static_cast<char>('a' + i)))));
  }
  // Started once, so that the store and (for the single daemon) its session exist.
  for (auto& daemon : daemons) daemon->stop();
  if (way.postgresql) make_cluster_sessions(broker);

  Simulator flood(sim_binary, broker.url(),
                  {"--flood", "0", "--flood-count", std::to_string(messages), "--flood-devices",
                   std::to_string(100 * kClinics), "--publishers", "3", "--log-level", "warn"});
  if (flood.finish(600s) != 0) throw std::runtime_error("the flood failed: " + flood.logs());

  for (auto& daemon : daemons) daemon->spawn();
  const auto received = [&] {
    return way.postgresql ? received_in_postgresql(url) : received_in_sqlite(daemons[0]->db());
  };
  const auto give_up = std::chrono::steady_clock::now() + 20min;
  Received stored;
  while ((stored = received()).rows < messages) {
    if (std::chrono::steady_clock::now() > give_up) {
      throw std::runtime_error(way.name + ": " + std::to_string(stored.rows) + " of " + std::to_string(messages) +
                               " stored after 20 minutes");
    }
    std::this_thread::sleep_for(200ms);
  }
  if (way.postgresql) {
    pqxx::connection connection(url);
    pqxx::read_transaction tx(connection);
    std::cout << R"({"way":")" << way.name << R"(","round":)" << round << R"(,"owners":{)";
    const auto owners = tx.exec("SELECT shard, coalesce(owner, '') FROM shard_leases ORDER BY shard");
    for (const auto& row : owners) {
      std::cout << (row[0].as<int>() == 0 ? "" : ",") << '"' << row[0].as<int>() << R"(":")" << row[1].c_str() << '"';
    }
    std::cout << "}}" << std::endl;
  }
  for (auto& daemon : daemons) daemon->stop();
  const double seconds = static_cast<double>(stored.last_ms - stored.first_ms) / 1000.0;
  return static_cast<double>(stored.rows - stored.first_group) / std::max(seconds, 0.001);
}

/// The database's own limit in the same run: single-row INSERT transactions of a message-sized row,
/// from `clients` connections for 10 s (pgbench), in transactions a second.
double commit_floor(const std::string& url, int clients) {
  {
    pqxx::connection connection(url);
    pqxx::work tx(connection);
    tx.exec0("CREATE TABLE IF NOT EXISTS floor (id bigserial PRIMARY KEY, payload text NOT NULL)");
    tx.commit();
  }
  TempDir dir;
  const auto script = dir.path() / "insert.sql";
  std::ofstream(script) << "INSERT INTO floor (payload) VALUES (repeat('x', 200));\n";
  const auto done = run_to_completion({PostgresOptions{}.bin_dir + "/pgbench", "-n", "-f", script.string(), "-c",
                                       std::to_string(clients), "-j", std::to_string(clients), "-T", "10", url},
                                      std::chrono::seconds(60));
  const auto at = done.output.find("tps = ");
  if (done.status != 0 || at == std::string::npos) throw std::runtime_error("pgbench failed: " + done.output);
  return std::stod(done.output.substr(at + 6));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: cluster_ingest_bench <sterifleetd> <sterifleet-sim> [messages] [rounds]\n";
    return 2;
  }
  const std::string daemon_binary = argv[1];
  const std::string sim_binary = argv[2];
  const long long messages = argc > 3 ? std::stoll(argv[3]) : 20'000;
  const int rounds = argc > 4 ? std::stoi(argv[4]) : 3;
  if (messages < 1000 || rounds < 1) {
    std::cerr << "messages must be at least 1000 and rounds at least 1\n";
    return 2;
  }
  const std::vector<Way> ways{{"sqlite", 1, false}, {"pg-1", 1, true}, {"pg-3", 3, true}};
  try {
    Postgres postgres;  // fsync on: commits wait for the WAL as in production
    std::vector<std::vector<double>> rates(ways.size());
    for (int round = 1; round <= rounds; ++round) {
      for (std::size_t w = 0; w < ways.size(); ++w) {
        const double rate = drain(ways[w], daemon_binary, sim_binary, messages, postgres, round);
        rates[w].push_back(rate);
        std::cout << R"({"way":")" << ways[w].name << R"(","round":)" << round << R"(,"stored_per_second":)"
                  << static_cast<long long>(rate) << "}" << std::endl;
      }
    }
    for (std::size_t w = 0; w < ways.size(); ++w) {
      auto sorted = rates[w];
      std::sort(sorted.begin(), sorted.end());
      std::cout << R"({"way":")" << ways[w].name << R"(","messages":)" << messages << R"(,"rounds":)" << rounds
                << R"(,"median_per_second":)" << static_cast<long long>(sorted[sorted.size() / 2])
                << R"(,"min_per_second":)" << static_cast<long long>(sorted.front()) << R"(,"max_per_second":)"
                << static_cast<long long>(sorted.back()) << "}" << std::endl;
    }
    const auto floor_url = postgres.create_database("commit_floor");
    for (const int clients : {1, 3}) {
      std::cout << R"({"postgresql_commits_per_second":)" << static_cast<long long>(commit_floor(floor_url, clients))
                << R"(,"clients":)" << clients << "}" << std::endl;
    }
  } catch (const std::exception& e) {
    std::cerr << "cluster_ingest_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
