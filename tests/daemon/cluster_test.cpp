// Three sterifleetd daemons on one PostgreSQL and one Mosquitto, sharing a clinic chain by shard: the
// simulated week of end_to_end_test.cpp through them is stored exactly once and judged as one daemon
// judges it, every daemon's API shows the whole fleet, and a person's action given to any daemon reaches
// the daemon that judges its clinic. Two daemons: a policy reload sent to one reaches every shard.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "http_receiver.hpp"
#include "sterifleet/checkpoint/checkpoint.hpp"
#include "sterifleet/protocol/time.hpp"
#include "sterifleet/protocol/topic.hpp"
#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/http_get.hpp"
#include "sterifleet/testing/injection_check.hpp"
#include "sterifleet/testing/message_keys.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/mqtt_recorder.hpp"
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
                        {"audit.anchor_interval_s", "1"},
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

  // A chain per clinic, each anchored into the fleet chain by its shard's owner within a second.
  EXPECT_GT(count(url, "SELECT count(*) FROM audit WHERE chain = 'fleet' AND action = 'anchor'"), 0);
  nlohmann::json verified;
  EXPECT_TRUE(eventually(
      [&] {
        verified = daemons[1]->get_json("/api/v1/audit/verify");
        return verified.at("unanchored") == 0;
      },
      10s))
      << verified.dump();
  EXPECT_EQ(verified.at("intact"), true) << verified.dump();
  EXPECT_EQ(verified.at("chains"), 4) << "the fleet's and C01's, C02's, C03's: " << verified.dump();
  const auto cli = run_to_completion({STERIFLEET_CLI_PATH, "audit", "verify", "--db", url});
  EXPECT_EQ(cli.status, 0) << cli.output;
  EXPECT_NE(cli.output.find("in 4 chains"), std::string::npos) << cli.output;
}

// fmt rather than operator+: GCC 12's -O3 -Wrestrict misreads a literal + std::string chain.
std::string device_topic(const std::string& clinic, const std::string& device) {
  return fmt::format("sterifleet/v1/{}/{}/", clinic, device);
}

std::string telemetry(const std::string& device, std::uint64_t seq, int battery_pct) {
  return nlohmann::json{
      {"v", 1},
      {"device", device},
      {"boot", 1},
      {"seq", seq},
      {"ts", protocol::format_timestamp(
                 std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()))},
      {"type", "telemetry"},
      {"body",
       {{"battery_pct", battery_pct}, {"runtime_s", 1000}, {"strokes", 50000}, {"depth_mm", 0.5}, {"speed", 100}}}}
      .dump();
}

// The policy of a shard is its owner's to judge with: one daemon's SIGHUP reaches the shards of both, so
// a battery below the new threshold raises its alert in either clinic.
TEST(Cluster, ASighupToOneDaemonReloadsThePolicyOfEveryShard) {
  const auto url = shared_postgres().fresh_database("reload");
  Mosquitto broker;
  create_sessions(broker);
  TempDir dir("sterifleet-reload");
  const auto policy = dir.path() / "policy.toml";
  std::ofstream(policy) << "[battery]\nthreshold_pct = 15\nclear_pct = 25\n";
  std::vector<std::unique_ptr<Daemon>> daemons;
  for (const auto* id : {"a", "b"}) {
    auto options = cluster_daemon(id, url, broker);
    options.settings["engine.policy"] = fmt::format("\"{}\"", policy.string());
    daemons.push_back(std::make_unique<Daemon>(options));
  }
  ASSERT_TRUE(eventually(
      [&] {
        return count(url,
                     "SELECT count(DISTINCT owner) FROM shard_leases WHERE owner IS NOT NULL AND expires_at > "
                     "now()") == 2 &&
               count(url, "SELECT count(*) FROM shard_leases WHERE owner IS NOT NULL AND expires_at > now()") ==
                   kShards;
      },
      60s))
      << daemons[0]->log();

  // What an operator sees of it: both daemons, every shard with clinics held.
  const auto status = run_to_completion({STERIFLEET_CLI_PATH, "cluster", "status", "--db", url});
  EXPECT_EQ(status.status, 0) << status.output;
  EXPECT_NE(status.output.find("cluster of 4 shards"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("daemons (2):"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("C01 (pinned)"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("every shard with clinics is held"), std::string::npos) << status.output;

  const std::vector<std::pair<std::string, std::string>> pens{{"C01", "C01-PEN-1"}, {"C02", "C02-PEN-1"}};
  std::vector<std::unique_ptr<MqttRecorder>> devices;
  for (const auto& [clinic, pen] : pens) {
    const auto topic = device_topic(clinic, pen);
    devices.push_back(std::make_unique<MqttRecorder>(broker.url(), topic + "cmd", pen));
    devices.back()->publish(
        topic + "birth",
        nlohmann::json{{"v", 1},
                       {"device", pen},
                       {"boot", 1},
                       {"seq", 1},
                       {"ts", protocol::format_timestamp(std::chrono::time_point_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now()))},
                       {"type", "birth"},
                       {"body", {{"kind", "pen"}, {"model", "Dermapen 4"}, {"firmware", "4.2.1"}}}}
            .dump());
    devices.back()->publish(topic + "telemetry", telemetry(pen, 2, 50));
  }
  const auto stored = [&](long long n) {
    return eventually([&] { return count(url, "SELECT count(*) FROM messages WHERE type = 'telemetry'") == n; }, 30s);
  };
  ASSERT_TRUE(stored(2));
  EXPECT_TRUE(daemons[1]->all_items("/api/v1/alerts?rule=device.battery_low").empty());

  std::ofstream(policy) << "[battery]\nthreshold_pct = 60\nclear_pct = 70\n";
  daemons[0]->signal(SIGHUP);
  ASSERT_TRUE(eventually(
      [&] {
        return count(url, "SELECT count(*) FROM api_commands WHERE kind = 'set_policy' AND state = 'done'") == kShards;
      },
      60s))
      << daemons[0]->log();
  for (std::size_t i = 0; i < pens.size(); ++i) {
    devices[i]->publish(device_topic(pens[i].first, pens[i].second) + "telemetry", telemetry(pens[i].second, 3, 50));
  }
  ASSERT_TRUE(stored(4));
  std::set<std::string> low;
  ASSERT_TRUE(eventually(
      [&] {
        low.clear();
        for (const auto& alert : daemons[1]->all_items("/api/v1/alerts?rule=device.battery_low")) {
          low.insert(alert.at("device").get<std::string>());
        }
        return low.size() == 2;
      },
      30s))
      << daemons[0]->log() << daemons[1]->log();
  EXPECT_EQ(low, (std::set<std::string>{"C01-PEN-1", "C02-PEN-1"}));
  for (auto& daemon : daemons) EXPECT_TRUE(daemon->running()) << daemon->log();

  // Both stopped: the shards are released, and the status says which clinics nobody judges.
  for (auto& daemon : daemons) daemon->stop();
  const auto stopped = run_to_completion({STERIFLEET_CLI_PATH, "cluster", "status", "--db", url, "--json"});
  EXPECT_EQ(stopped.status, 1) << stopped.output;
  const auto parsed = nlohmann::json::parse(stopped.output, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << stopped.output;
  EXPECT_EQ(parsed.at("unheld"), nlohmann::json({0, 1, 2})) << stopped.output;
}

// audit.checkpoint_receivers in a cluster: each daemon sends the checkpoints it signs, with its key.
TEST(Cluster, ACheckpointReceiverGetsTheCheckpointsEachDaemonSigns) {
  const auto url = shared_postgres().fresh_database("checkpoints");
  Mosquitto broker;
  TempDir dir("sterifleet-cluster-hook");
  HttpReceiver hook;
  std::ofstream(dir.path() / "webhook.secret") << "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n";
  auto options = cluster_daemon("a", url, broker);
  options.settings["audit.checkpoint_receivers"] = "\"auditor-hook\"";
  options.extra_toml = fmt::format(
      "\n[notify]\n[[notify.receiver]]\nname = \"auditor-hook\"\ntype = \"webhook\"\nurl = \"{}\"\nsecret_file = "
      "\"{}\"\n",
      hook.url("/hook"), (dir.path() / "webhook.secret").string());
  Daemon daemon(options);
  ASSERT_TRUE(hook.wait_for_requests(1, 20s)) << daemon.log();
  const auto notice = nlohmann::json::parse(hook.requests().front().body).at("notices").at(0);
  EXPECT_EQ(notice.at("kind"), "checkpoint");
  const auto sent = checkpoint::from_json(notice.at("alert").at("checkpoint"));
  ASSERT_TRUE(sent.checkpoint) << sent.problem;
  EXPECT_FALSE(checkpoint::signature_problem(*sent.checkpoint, std::nullopt));
  std::ifstream filed(daemon.db().string() + "-checkpoints.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(filed, line);) lines.push_back(line);
  EXPECT_NE(std::find(lines.begin(), lines.end(), checkpoint::to_line(*sent.checkpoint)), lines.end());
}

}  // namespace
}  // namespace sterifleet::testing
