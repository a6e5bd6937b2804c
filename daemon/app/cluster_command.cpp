#include "cluster_command.hpp"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <vector>

#include "store_url.hpp"

namespace sterifleet::app {

namespace {

using nlohmann::json;

struct ShardRow {
  int shard = 0;
  std::string owner;  ///< empty: free
  std::int64_t epoch = 0;
  double lease_left_s = 0;                            ///< negative: expired
  std::vector<std::pair<std::string, bool>> clinics;  ///< (clinic, pinned)
  bool held() const { return !owner.empty() && lease_left_s > 0; }
};

std::string seconds(double s) { return fmt::format("{:.1f} s", s); }

}  // namespace

int cluster_status(const std::string& url, bool as_json, std::ostream& out, std::ostream& err) {
  if (!is_postgresql_url(url)) {
    err << "sterifleet cluster status: --db must be a postgresql:// URL (a cluster's store.url)\n";
    return 2;
  }
  int shard_count = 0;
  json daemons = json::array();
  std::map<int, ShardRow> shards;
  try {
    pqxx::connection connection(url);
    pqxx::read_transaction tx(connection);
    const auto cluster = tx.exec("SELECT shards FROM cluster WHERE id = 1");
    if (cluster.empty()) {
      err << "sterifleet cluster status: " << masked(url, url) << " holds no cluster (no daemon has started on it)\n";
      return 2;
    }
    shard_count = cluster[0][0].as<int>();
    for (int k = 0; k < shard_count; ++k) shards[k].shard = k;
    for (const auto& r : tx.exec("SELECT id, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                                 "EXTRACT(EPOCH FROM clock_timestamp() - heartbeat_at)::float8, coalesce(api, '') "
                                 "FROM daemons ORDER BY id")) {
      daemons.push_back({{"id", r[0].as<std::string>()},
                         {"started_at", r[1].as<std::string>()},
                         {"heartbeat_age_s", r[2].as<double>()},
                         {"api", r[3].as<std::string>()}});
    }
    for (const auto& r : tx.exec("SELECT shard, coalesce(owner, ''), epoch, "
                                 "CASE WHEN expires_at = '-infinity' THEN -1 "
                                 "ELSE EXTRACT(EPOCH FROM expires_at - clock_timestamp())::float8 END "
                                 "FROM shard_leases")) {
      auto& row = shards[r[0].as<int>()];
      row.shard = r[0].as<int>();
      row.owner = r[1].as<std::string>();
      row.epoch = r[2].as<std::int64_t>();
      row.lease_left_s = r[3].as<double>();
    }
    for (const auto& r : tx.exec("SELECT clinic, shard, pinned FROM clinic_shards ORDER BY clinic")) {
      shards[r[1].as<int>()].clinics.emplace_back(r[0].as<std::string>(), r[2].as<bool>());
    }
  } catch (const std::exception& e) {
    err << "sterifleet cluster status: cannot read " << masked(url, url) << ": " << masked(e.what(), url) << '\n';
    return 2;
  }

  std::vector<int> unheld;
  for (const auto& [k, row] : shards) {
    if (!row.held() && !row.clinics.empty()) unheld.push_back(k);
  }
  if (as_json) {
    json rows = json::array();
    for (const auto& [k, row] : shards) {
      json clinics = json::array();
      for (const auto& [clinic, pinned] : row.clinics) clinics.push_back({{"clinic", clinic}, {"pinned", pinned}});
      rows.push_back({{"shard", k},
                      {"owner", row.owner.empty() ? json(nullptr) : json(row.owner)},
                      {"epoch", row.epoch},
                      {"held", row.held()},
                      {"lease_left_s", row.held() ? json(row.lease_left_s) : json(nullptr)},
                      {"clinics", std::move(clinics)}});
    }
    out << json{{"shards", shard_count}, {"daemons", daemons}, {"shard_leases", rows}, {"unheld", unheld}}.dump(2)
        << '\n';
    return unheld.empty() ? 0 : 1;
  }

  out << "cluster of " << shard_count << " shards in " << masked(url, url) << '\n';
  out << "daemons (" << daemons.size() << "):\n";
  for (const auto& d : daemons) {
    out << fmt::format("  {:<16} heartbeat {} ago, started {}{}\n", d["id"].get<std::string>(),
                       seconds(d["heartbeat_age_s"].get<double>()), d["started_at"].get<std::string>(),
                       d["api"].get<std::string>().empty() ? "" : ", API " + d["api"].get<std::string>());
  }
  out << fmt::format("{:<6} {:<16} {:>6}  {:<16} {}\n", "shard", "owner", "epoch", "lease", "clinics");
  for (const auto& [k, row] : shards) {
    std::string clinics;
    for (const auto& [clinic, pinned] : row.clinics) {
      clinics += (clinics.empty() ? "" : ", ") + clinic + (pinned ? " (pinned)" : "");
    }
    const auto lease = row.held() ? "held, " + seconds(row.lease_left_s) + " left" : std::string("free");
    out << fmt::format("{:<6} {:<16} {:>6}  {:<16} {}\n", k, row.held() ? row.owner : "-", row.epoch, lease,
                       clinics.empty() ? "-" : clinics);
  }
  if (unheld.empty()) {
    out << "every shard with clinics is held\n";
    return 0;
  }
  std::string list;
  for (const auto k : unheld) list += (list.empty() ? "" : ", ") + std::to_string(k);
  out << "NOT HELD: shards " << list << " have clinics and no owner: their messages wait at the broker\n";
  return 1;
}

}  // namespace sterifleet::app
