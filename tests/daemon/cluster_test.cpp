// Three sterifleetd daemons on one PostgreSQL and one Mosquitto, sharing a clinic chain by shard: the
// simulated week of end_to_end_test.cpp through them is stored exactly once and judged as one daemon
// judges it, every daemon's API shows the whole fleet, and a person's action given to any daemon reaches
// the daemon that judges its clinic.
#include <gtest/gtest.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "sterifleet/protocol/topic.hpp"
#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/http_get.hpp"
#include "sterifleet/testing/injection_check.hpp"
#include "sterifleet/testing/message_keys.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/persistent_session.hpp"
#include "sterifleet/testing/postgres.hpp"
#include "sterifleet/testing/simulator.hpp"

namespace sterifleet::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kShards = 4;
// Pinned so that each of three daemons judges one clinic once they share the shards evenly.
const std::map<std::string, int> kPins{{"C01", 0}, {"C02", 1}, {"C03", 2}};

long long count(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::read_transaction tx(connection);
  return tx.exec1(sql)[0].as<long long>();
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

// The shards' persistent sessions exist before the first message, as they do once a cluster has run:
// the broker keeps each shard's messages while no daemon holds it.
void create_sessions(const Mosquitto& broker) {
  for (const auto& [clinic, shard] : kPins) {
    std::vector<std::string> filters;
    for (const auto channel : protocol::device_channels) {
      filters.push_back(protocol::channel_filter(channel, protocol::ClinicId{clinic}));
    }
    make_persistent_session(broker, "sterifleetd-shard-" + std::to_string(shard), filters);
  }
}

DaemonOptions cluster_daemon(const std::string& id, const std::string& url, const Mosquitto& broker) {
  std::string pins = "{";
  for (const auto& [clinic, shard] : kPins)
    pins += (pins.size() > 1 ? ", " : "") + clinic + " = " + std::to_string(shard);
  pins += "}";
  return DaemonOptions(STERIFLEETD_PATH, broker.url(),
                       {{"store.url", "\"" + url + "\""},
                        {"cluster.daemon_id", "\"" + id + "\""},
                        {"cluster.shards", std::to_string(kShards)},
                        {"cluster.pins", pins},
                        {"engine.retention_hours", "720"},
                        {"log.level", "\"warn\""}});
}

AlertTally tally(const std::vector<nlohmann::json>& alerts) {
  AlertTally out;
  for (const auto& alert : alerts) {
    const AlertKey key{alert.at("rule").get<std::string>(), alert.at("subject").get<std::string>()};
    ++out.opened[key];
    if (alert.at("state") == "withdrawn") out.withdrawn.insert(key);
  }
  return out;
}

std::set<std::string> device_ids(const Daemon& daemon) {
  std::set<std::string> out;
  const auto listing = daemon.get_json("/api/v1/devices");
  for (const auto& device : listing.at("items")) out.insert(device.at("id").get<std::string>());
  return out;
}

TEST(Cluster, ThreeDaemonsShareASimulatedWeek_StoredOnce_AlertsAreTheInjectedViolations_AnyDaemonAnswers) {
  const auto url = shared_postgres().fresh_database("cluster");
  Mosquitto broker;
  create_sessions(broker);
  std::vector<std::unique_ptr<Daemon>> daemons;
  for (const auto* id : {"a", "b", "c"}) daemons.push_back(std::make_unique<Daemon>(cluster_daemon(id, url, broker)));
  // Each holds its share: ceil(4 / 3) = 2 at most, every shard held.
  ASSERT_TRUE(eventually(
      [&] {
        return count(url, "SELECT count(*) FROM shard_leases WHERE owner IS NOT NULL AND expires_at > now()") ==
                   kShards &&
               count(url, "SELECT max(n) FROM (SELECT count(*) AS n FROM shard_leases GROUP BY owner) o") <= 2;
      },
      60s))
      << daemons[0]->log();

  Simulator sim(STERIFLEET_SIM_PATH, broker.url(), {"--clinics",     "3",
                                                    "--pens",        "3",
                                                    "--sterilizers", "2",
                                                    "--days",        "7",
                                                    "--speed",       "0",
                                                    "--seed",        "2026",
                                                    "--start",       utc_days_ago(8),
                                                    "--violations",  "0.1",
                                                    "--injected",    "{dir}/injected.jsonl",
                                                    "--sent-log",    "{dir}/sent.log",
                                                    "--log-level",   "warn"});
  ASSERT_EQ(sim.finish(300s), 0) << sim.logs();
  const auto sent = read_sent_log(sim.file("sent.log"));
  ASSERT_GT(sent.size(), 10'000U);
  const auto problems = wait_until_stored_in_postgresql(url, sent, 180s);
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front();

  // Every daemon answers for the whole fleet: the same alerts, exactly the injected ones, and the same
  // devices, whichever shards it judges.
  const auto injected = read_injected(sim.file("injected.jsonl"));
  ASSERT_GT(injected.size(), 10U);
  const auto alerts = daemons[0]->all_items("/api/v1/alerts");
  for (const auto& mismatch : injection_mismatches(injected, tally(alerts))) ADD_FAILURE() << mismatch;
  if (HasFailure()) {
    for (const auto& a : alerts) std::cerr << a.dump() << "\n";
    for (auto& d : daemons) std::cerr << d->log() << "\n";
    pqxx::connection connection(url);
    pqxx::read_transaction tx(connection);
    for (const auto& r : tx.exec("SELECT shard, epoch, owner, min(seq), max(seq), min(committed_at) FROM commits "
                                 "GROUP BY shard, epoch, owner ORDER BY shard, epoch")) {
      std::cerr << "shard " << r[0].c_str() << " epoch " << r[1].c_str() << " owner " << r[2].c_str() << " commits "
                << r[3].c_str() << "-" << r[4].c_str() << " from " << r[5].c_str() << "\n";
    }
    for (const auto& mismatch : injection_mismatches(injected, tally(alerts))) {
      // What the missed subject's device sent, beside the cycles that name it, in commit order.
      const auto subject = mismatch.substr(mismatch.rfind(' ') + 1);
      for (const auto& r : tx.exec_params(
               "SELECT m.shard, m.commit_seq, m.device, m.boot, m.seq, m.type, m.ts, m.received_at, m.payload FROM "
               "messages m WHERE (m.device = $1 AND m.type <> 'telemetry') OR "
               "(m.type = 'cycle.complete' AND m.payload LIKE '%' || $1 || '%') "
               "UNION ALL SELECT q.shard, q.commit_seq, q.device, 0, NULL, q.reason, NULL, q.received_at, "
               "convert_from(q.payload, 'UTF8') FROM quarantine q WHERE q.device = $1 ORDER BY 2",
               subject)) {
        std::cerr << "journal:";
        for (const auto& field : r) std::cerr << " " << (field.is_null() ? "-" : field.c_str());
        std::cerr << "\n";
      }
    }
  }
  const auto devices = device_ids(*daemons[0]);
  EXPECT_GE(devices.size(), 3U * (3 + 2)) << daemons[0]->get_json("/api/v1/devices").dump();
  for (auto& daemon : daemons) {
    EXPECT_EQ(daemon->all_items("/api/v1/alerts").size(), alerts.size());
    EXPECT_TRUE(eventually([&] { return device_ids(*daemon) == devices; }, 10s));
    EXPECT_TRUE(daemon->running()) << daemon->log();
  }

  // An open alert of C01 acknowledged through each daemon in turn: whichever holds shard 0 judges it,
  // and the answer already shows it.
  nlohmann::json open;
  for (const auto& alert : alerts) {
    if (alert.at("clinic") == "C01" && alert.at("state") == "open") open = alert;
  }
  ASSERT_FALSE(open.is_null());
  const auto owner = count(url, "SELECT ascii(owner) - ascii('a') FROM shard_leases WHERE shard = 0");
  auto& elsewhere = *daemons[static_cast<std::size_t>((owner + 1) % 3)];
  const auto acked = http_post(elsewhere.port(), "/api/v1/alerts/" + open.at("id").get<std::string>() + "/ack",
                               R"({"comment":"seen in the cluster test"})", elsewhere.token());
  ASSERT_EQ(acked.status, 200) << acked.body;
  EXPECT_EQ(nlohmann::json::parse(acked.body).at("state"), "acknowledged") << acked.body;
  for (auto& daemon : daemons) {
    EXPECT_EQ(daemon->get_json("/api/v1/alerts/" + open.at("id").get<std::string>()).at("state"), "acknowledged");
  }
  EXPECT_EQ(count(url, "SELECT count(*) FROM audit WHERE action = 'acknowledged' AND entity = 'alert:" +
                           open.at("id").get<std::string>() + "'"),
            1);
}

}  // namespace
}  // namespace sterifleet::testing
