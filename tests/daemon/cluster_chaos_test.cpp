// Chaos on a cluster (issue 17): three sterifleetd on one PostgreSQL and one Mosquitto under the
// simulator's paced load; every 20-40 s a random daemon is SIGKILLed and started again, and once one
// holding shards is SIGSTOPped until others have claimed its leases, then resumed (a zombie). Afterwards:
// every message the simulator logged as acknowledged is stored exactly once, the commits of every shard
// never go back to an older epoch and the zombie committed nothing after its leases' next claim, no
// notification is doubled, the audit chains verify, and a fresh engine replaying each shard's whole
// journal reaches exactly the alerts the cluster stored (so none was doubled or lost either).
//
// STERIFLEET_CHAOS_SECONDS (default 150, what CI runs) sets how long the load and the chaos last;
// STERIFLEET_CHAOS_SEED repeats a run's choices (the seed is printed).
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http_receiver.hpp"
#include "sterifleet/engine/effects.hpp"
#include "sterifleet/engine/engine.hpp"
#include "sterifleet/engine/policy.hpp"
#include "sterifleet/fleet/journal_actions.hpp"
#include "sterifleet/protocol/overloaded.hpp"
#include "sterifleet/store/store.hpp"
#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/message_keys.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/postgres.hpp"
#include "sterifleet/testing/simulator.hpp"

namespace sterifleet::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kShards = 4;
constexpr int kLeaseTtlSeconds = 4;

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::stoi(value) : fallback;
}

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

/// The simulator's three clinics, one a shard (shard 0 keeps the fleet's own records).
DaemonOptions cluster_daemon(const Mosquitto& broker, const std::string& url, const std::string& id,
                             const HttpReceiver& hook, const std::filesystem::path& webhook_secret) {
  DaemonOptions options(STERIFLEETD_PATH, broker.url(),
                        {{"store.url", quoted(url)},
                         {"cluster.daemon_id", quoted(id)},
                         {"cluster.shards", std::to_string(kShards)},
                         {"cluster.pins", "{ C01 = 1, C02 = 2, C03 = 3 }"},
                         {"cluster.clinics", R"(["C01", "C02", "C03"])"},
                         {"cluster.lease_ttl_s", std::to_string(kLeaseTtlSeconds)},
                         {"cluster.renew_interval_s", "1"},
                         {"cluster.lease_margin_s", "1"}});
  // Every alert goes to a webhook, so that notification rows exist to be checked for doubles.
  options.extra_toml =
      "\n[notify]\ndashboard_url = \"http://127.0.0.1:8080\"\n"
      "[[notify.receiver]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
      hook.url("/hook") + "\"\nsecret_file = \"" + webhook_secret.string() +
      "\"\n"
      "[[notify.route]]\nname = \"all\"\nreceiver = \"hook\"\nrepeat_interval_min = 0\n";
  options.ready_timeout = 60s;
  return options;
}

std::vector<std::vector<std::string>> rows(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::read_transaction tx(connection);
  std::vector<std::vector<std::string>> out;
  for (const auto& row : tx.exec(sql)) {
    auto& fields = out.emplace_back();
    for (const auto& field : row) fields.push_back(field.is_null() ? "" : field.c_str());
  }
  return out;
}

long long count(const std::string& url, const std::string& sql) { return std::stoll(rows(url, sql).at(0).at(0)); }

/// Polls until every clinic shard is held and every clinic live (its shard's session subscribed), so
/// that the broker keeps each shard's messages from the first one on; false after `timeout`.
bool wait_until_serving(const std::string& url, std::chrono::milliseconds timeout) {
  const auto give_up = Clock::now() + timeout;
  while (Clock::now() < give_up) {
    if (count(url, "SELECT count(*) FROM shard_leases WHERE owner IS NOT NULL AND expires_at > now()") == kShards &&
        count(url, "SELECT count(*) FROM clinic_shards WHERE live") == 3) {
      return true;
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

/// A lease a daemon held when it was paused, and the moment (the database's clock) it was claimed again.
struct LostLease {
  int shard = 0;
  long long epoch = 0;
  std::string next_claim;  ///< timestamptz text
};

struct Lease {
  int shard = 0;
  std::string owner;
  long long epoch = 0;
  std::string claimed_at;
};

std::vector<Lease> leases(const std::string& url) {
  std::vector<Lease> out;
  for (const auto& row :
       rows(url, "SELECT shard, coalesce(owner, ''), epoch, claimed_at FROM shard_leases ORDER BY shard")) {
    out.push_back({std::stoi(row[0]), row[1], std::stoll(row[2]), row[3]});
  }
  return out;
}

/// Pauses the daemon holding the most shards until every one of its leases was claimed by another
/// (its ttl passed by the database's clock), then resumes it; returns what it lost.
std::vector<LostLease> pause_past_its_leases(std::vector<std::unique_ptr<Daemon>>& daemons,
                                             const std::vector<std::string>& ids, const std::string& url) {
  std::map<std::string, std::vector<Lease>> held;
  for (const auto& lease : leases(url)) held[lease.owner].push_back(lease);
  std::size_t zombie = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (held[ids[i]].size() > held[ids[zombie]].size()) zombie = i;
  }
  const auto& was = held[ids[zombie]];
  EXPECT_FALSE(was.empty()) << "no daemon holds a shard to be paused with";
  std::cout << "pausing " << ids[zombie] << " holding " << was.size() << " shard(s)" << std::endl;
  daemons[zombie]->signal(SIGSTOP);
  std::vector<LostLease> lost;
  const auto give_up = Clock::now() + 60s;
  while (lost.size() < was.size() && Clock::now() < give_up) {
    std::this_thread::sleep_for(100ms);
    const auto now = leases(url);
    for (const auto& old : was) {
      const auto& current = now.at(static_cast<std::size_t>(old.shard));
      const bool seen = std::any_of(lost.begin(), lost.end(), [&](const LostLease& l) { return l.shard == old.shard; });
      if (!seen && current.epoch > old.epoch) lost.push_back({old.shard, old.epoch, current.claimed_at});
    }
  }
  EXPECT_EQ(lost.size(), was.size()) << "the paused daemon's leases were not all claimed within 60 s";
  // Paused a little longer, so that it wakes with work in hand for leases it no longer has.
  std::this_thread::sleep_for(2s);
  daemons[zombie]->signal(SIGCONT);
  std::cout << "resumed " << ids[zombie] << std::endl;
  return lost;
}

/// Commits of `lease`'s epoch on its shard at or after the lease's next claim: a zombie's commits.
long long zombie_commits(const std::string& url, const LostLease& lease) {
  pqxx::connection connection(url);
  pqxx::read_transaction tx(connection);
  return tx
      .exec_params1("SELECT count(*) FROM commits WHERE shard = $1 AND epoch = $2 AND committed_at >= $3::timestamptz",
                    lease.shard, lease.epoch, lease.next_claim)[0]
      .as<long long>();
}

struct AlertFacts {
  std::string rule;
  std::string subject;
  std::string state;
  auto operator<=>(const AlertFacts&) const = default;
};

/// Every alert of a fresh engine that replays each shard's whole journal from its first commit (no
/// snapshot), as a single daemon restarted without snapshots rebuilds it (and as `sterifleet migrate`
/// checks a copy).
std::map<std::string, AlertFacts> replayed_alerts(const std::string& url) {
  std::map<std::string, AlertFacts> out;
  for (int shard = 0; shard < kShards; ++shard) {
    store::PostgresOptions options;
    options.shard = shard;
    options.readers = 2;  // a replay asks the store about a key while the journal is being read
    const auto store = store::open_postgresql(url, options);
    engine::Engine engine(engine::default_policy(), protocol::Timestamp{});
    const engine::Intake intake{
        std::chrono::seconds{300},
        [&](const protocol::Envelope& envelope, std::string_view payload) -> std::optional<bool> {
          const auto stored = store->stored_payload(envelope.device.str(), envelope.boot, envelope.seq);
          if (!stored) return std::nullopt;
          return *stored == payload;
        }};
    const std::int64_t before_fail_safe = store->journal_before_fail_safe();
    store->read_journal(0, [&](const store::JournalEntry& entry) {
      const bool earlier = entry.commit <= before_fail_safe;
      std::visit(Overloaded{[&](const store::StoredMessage& m) {
                              engine::RawMessage raw{m.topic, m.payload, m.received_at};
                              if (earlier) raw.judged_before_fail_safe = engine::EarlierJudgement{};
                              engine.receive(raw, intake);
                            },
                            [&](const store::QuarantinedMessage& q) {
                              engine::RawMessage raw{q.topic, q.payload, q.received_at, false, q.id};
                              if (earlier) raw.judged_before_fail_safe = engine::EarlierJudgement{q.reason};
                              engine.receive(raw, intake);
                            },
                            [&](const store::Action& a) { fleet::apply_stored(engine, a, std::chrono::seconds{300}); }},
                 entry.input);
    });
    engine.for_each_alert([&](const engine::Alert& alert) {
      const auto json = engine::to_json(alert);
      out[alert.id] = {json.at("rule").get<std::string>(), alert.subject, json.at("state").get<std::string>()};
    });
  }
  return out;
}

std::map<std::string, AlertFacts> stored_alerts(const std::string& url) {
  std::map<std::string, AlertFacts> out;
  for (const auto& row : rows(url, "SELECT id, rule, row::jsonb->>'subject', state FROM alerts")) {
    out[row[0]] = {row[1], row[2], row[3]};
  }
  return out;
}

/// What differs between the stored alerts and the replay's, one sentence each: an id in one only, a
/// different state, or a (rule, subject) with more episodes than the replay found.
std::vector<std::string> alert_differences(const std::map<std::string, AlertFacts>& stored,
                                           const std::map<std::string, AlertFacts>& replayed) {
  std::vector<std::string> out;
  std::map<std::pair<std::string, std::string>, int> stored_episodes, replayed_episodes;
  for (const auto& [id, facts] : stored) ++stored_episodes[{facts.rule, facts.subject}];
  for (const auto& [id, facts] : replayed) ++replayed_episodes[{facts.rule, facts.subject}];
  for (const auto& [key, times] : stored_episodes) {
    const auto replayed_times = replayed_episodes.contains(key) ? replayed_episodes.at(key) : 0;
    if (times != replayed_times) {
      out.push_back(key.first + " of " + key.second + ": " + std::to_string(times) + " stored, " +
                    std::to_string(replayed_times) + " replayed");
    }
  }
  for (const auto& [id, facts] : stored) {
    const auto found = replayed.find(id);
    if (found == replayed.end()) {
      out.push_back("alert " + id + " (" + facts.rule + " of " + facts.subject + ") stored, not replayed");
    } else if (found->second.state != facts.state) {
      out.push_back("alert " + id + " stored " + facts.state + ", replayed " + found->second.state);
    }
  }
  for (const auto& [id, facts] : replayed) {
    if (!stored.contains(id))
      out.push_back("alert " + id + " (" + facts.rule + " of " + facts.subject + ") replayed, not stored");
  }
  return out;
}

TEST(ClusterChaos, KillsAndAPause_NothingLostDoubledOrCommittedByTheZombie) {
  const int chaos_seconds = env_int("STERIFLEET_CHAOS_SECONDS", 150);
  const auto seed =
      static_cast<unsigned>(env_int("STERIFLEET_CHAOS_SEED", static_cast<int>(std::random_device{}() >> 1)));
  std::cout << "chaos for " << chaos_seconds << " s, seed " << seed << std::endl;
  std::mt19937 random(seed);

  const auto url = shared_postgres().fresh_database("chaos");
  Mosquitto broker;
  HttpReceiver hook;
  TempDir secrets("sterifleet-chaos");
  const auto webhook_secret = secrets.path() / "webhook.secret";
  std::ofstream(webhook_secret) << "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n";
  const std::vector<std::string> ids{"chaos-a", "chaos-b", "chaos-c"};
  std::vector<std::unique_ptr<Daemon>> daemons;
  for (const auto& id : ids)
    daemons.push_back(std::make_unique<Daemon>(cluster_daemon(broker, url, id, hook, webhook_secret)));

  ASSERT_TRUE(wait_until_serving(url, 60s)) << daemons[0]->log();

  // Half a simulated clinic day (07:00-19:00 UTC yesterday, when the devices work) paced over the chaos.
  const int speed = std::max(1, 12 * 3600 / chaos_seconds);
  Simulator sim(STERIFLEET_SIM_PATH, broker.url(),
                {"--clinics", "3", "--days", "0.5", "--start", utc_days_ago(1, 7), "--speed", std::to_string(speed),
                 "--violations", "0.05", "--sent-log", "{dir}/sent.log", "--log-level", "warn"});

  std::uniform_int_distribution<int> interval(20, 40);
  std::uniform_int_distribution<std::size_t> pick(0, daemons.size() - 1);
  const auto chaos_ends = Clock::now() + std::chrono::seconds{chaos_seconds};
  std::vector<LostLease> lost;
  int kills = 0;
  bool paused = false;
  while (true) {
    const auto next = Clock::now() + std::chrono::seconds{interval(random)};
    if (next > chaos_ends) break;
    std::this_thread::sleep_until(next);
    // The second event is the pause, so that it comes after a kill and leaves time for more.
    if (kills == 1 && !paused) {
      lost = pause_past_its_leases(daemons, ids, url);
      paused = true;
      continue;
    }
    const auto victim = pick(random);
    std::cout << "SIGKILL " << ids[victim] << std::endl;
    daemons[victim]->kill();
    ++kills;
    daemons[victim]->start();
    // A daemon that ended by itself (a zombie told its commits were refused may) comes back too.
    for (auto& daemon : daemons) {
      if (!daemon->running()) {
        daemon->kill();
        daemon->start();
      }
    }
  }
  ASSERT_TRUE(paused) << "STERIFLEET_CHAOS_SECONDS leaves no time for a kill and the pause (at least 80 s)";
  ASSERT_GE(kills, 1);

  ASSERT_EQ(sim.finish(std::chrono::seconds{chaos_seconds} + 120s), 0) << sim.logs();
  const auto sent = read_sent_log(sim.file("sent.log"));
  ASSERT_GT(sent.size(), 1000u);
  const auto problems = wait_until_stored_in_postgresql(url, sent, 120s);
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front();

  for (auto& daemon : daemons) daemon->stop();

  // A shard's commits are numbered in order; fencing means that order never goes back to an older epoch.
  EXPECT_EQ(count(url,
                  "SELECT count(*) FROM (SELECT epoch < lag(epoch) OVER (PARTITION BY shard ORDER BY seq) AS older "
                  "FROM commits) c WHERE older"),
            0);
  for (const auto& lease : lost) {
    EXPECT_EQ(zombie_commits(url, lease), 0)
        << "shard " << lease.shard << " epoch " << lease.epoch << " committed after " << lease.next_claim;
  }
  EXPECT_EQ(count(url,
                  "SELECT count(*) FROM (SELECT 1 FROM notifications GROUP BY alert_id, receiver, kind "
                  "HAVING count(*) > 1) d"),
            0);

  const auto audit = store::open_postgresql(url)->verify_audit();
  EXPECT_TRUE(audit.intact && audit.walked_to_end) << "record " << audit.first_bad.value_or(0) << ": " << audit.problem;

  const auto stored = stored_alerts(url);
  EXPECT_FALSE(stored.empty()) << "the injected violations raised no alert";
  const auto differences = alert_differences(stored, replayed_alerts(url));
  EXPECT_TRUE(differences.empty()) << differences.size() << " differences, first: " << differences.front();
  std::cout << sent.size() << " messages, " << kills << " kills, " << lost.size() << " leases lost by the zombie, "
            << stored.size() << " alerts, " << count(url, "SELECT count(*) FROM notifications") << " notifications, "
            << count(url, "SELECT count(*) FROM commits") << " commits" << std::endl;
}

}  // namespace
}  // namespace sterifleet::testing
