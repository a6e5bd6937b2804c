// Where `sterifleet migrate` puts each row of a SQLite store: the shard of its clinic, for a journaled
// action the shards it judges (store_migration.cpp has the rules), and each shard's new commit numbers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sqlite_snapshot.hpp"
#include "sterifleet/cluster/shard_map.hpp"

namespace sterifleet::app {

class MigrationRouter {
 public:
  using Shard = cluster::Shard;

  /// Reads what routing needs from the store: each alert's and device's clinic, every clinic.
  MigrationRouter(const cluster::ShardMap& map, SqliteSnapshot& db);

  /// "" (no clinic): shard 0. The clinic is remembered, to be registered.
  Shard shard_of(const std::string& clinic);
  /// The shard of the topic's clinic; a topic that does not parse: shard 0.
  Shard shard_of_topic(const std::string& topic);
  /// The shards a journaled action goes to. Throws std::runtime_error for one whose clinic is unknown.
  std::vector<Shard> action_shards(std::int64_t id, const std::string& kind, const std::string& body_text);

  /// The old commit `commit` left a row in `shard`.
  void touch(Shard shard, std::int64_t commit) { touched_[shard].insert(commit); }
  /// The lowest shard the old commit left a row in, if any.
  std::optional<Shard> any_shard_of(std::int64_t commit) const;

  /// Numbers each shard's commits 1, 2, ... in the old order; call once every row is touched.
  void number();
  std::int64_t commit_in(Shard shard, std::int64_t old) const { return numbers_.at(shard).at(old); }
  /// The shard's last commit at or before the old commit `old` (0: none).
  std::int64_t last_commit_by(Shard shard, std::int64_t old) const;
  /// Commits per shard that has any.
  std::map<Shard, std::int64_t> commits() const;
  const std::map<std::string, Shard>& clinics() const { return clinics_; }

 private:
  Shard clinic_of(const std::map<std::string, std::string>& clinics, const std::string& key, std::int64_t id,
                  const std::string& kind, const char* what);

  const cluster::ShardMap& map_;
  std::map<std::string, std::string> alert_clinic_;
  std::map<std::string, std::string> device_clinic_;
  std::map<std::string, Shard> clinics_;
  std::set<Shard> every_;  ///< shard 0 and every shard holding a clinic
  std::map<Shard, std::set<std::int64_t>> touched_;
  std::map<Shard, std::map<std::int64_t, std::int64_t>> numbers_;
};

}  // namespace sterifleet::app
