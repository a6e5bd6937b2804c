#include "migration_router.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::app {

MigrationRouter::MigrationRouter(const cluster::ShardMap& map, SqliteSnapshot& db) : map_(map) {
  db.each("SELECT id, clinic FROM alerts", [&](const auto& r) { alert_clinic_[r.text(0)] = r.text(1); });
  // The clinic of each device, for maintenance windows (journaled by device).
  for (const char* sql : {"SELECT DISTINCT device, clinic FROM messages", "SELECT DISTINCT pen, clinic FROM sessions",
                          "SELECT DISTINCT sterilizer, clinic FROM cycles"}) {
    db.each(sql, [&](const auto& r) { device_clinic_.emplace(r.text(0), r.text(1)); });
  }
  for (const char* sql :
       {"SELECT DISTINCT clinic FROM messages", "SELECT DISTINCT clinic FROM alerts",
        "SELECT DISTINCT clinic FROM sessions", "SELECT DISTINCT clinic FROM cycles",
        "SELECT DISTINCT clinic FROM commands", "SELECT DISTINCT clinic FROM notifications WHERE clinic <> ''",
        "SELECT DISTINCT clinic FROM quarantine WHERE clinic IS NOT NULL",
        "SELECT DISTINCT json_extract(body, '$.clinic') FROM actions WHERE json_extract(body, '$.clinic') IS NOT "
        "NULL"}) {
    db.each(sql, [&](const auto& r) { shard_of(r.text(0)); });
  }
  every_.insert(0);
  for (const auto& [clinic, shard] : clinics_) every_.insert(shard);
}

MigrationRouter::Shard MigrationRouter::shard_of(const std::string& clinic) {
  if (clinic.empty()) return 0;
  const auto known = clinics_.find(clinic);
  if (known != clinics_.end()) return known->second;
  const Shard shard = map_.shard_of(protocol::ClinicId(clinic));
  clinics_.emplace(clinic, shard);
  return shard;
}

MigrationRouter::Shard MigrationRouter::shard_of_topic(const std::string& topic) {
  const auto parsed = protocol::parse_topic(topic);
  return parsed ? shard_of(parsed->clinic.str()) : 0;
}

std::vector<MigrationRouter::Shard> MigrationRouter::action_shards(std::int64_t id, const std::string& kind,
                                                                   const std::string& body_text) {
  if (kind == "start" || kind == "tick" || kind == "compact" || kind == "policy") return {every_.begin(), every_.end()};
  if (kind == "token_created" || kind == "token_revoked") return {0};
  const auto body = nlohmann::json::parse(body_text);
  const auto field = [&](const char* name) {
    const auto it = body.find(name);
    if (it == body.end() || !it->is_string()) {
      throw std::runtime_error("action " + std::to_string(id) + " (" + kind + ") has no \"" + name +
                               "\": its clinic, hence its shard, is unknown");
    }
    return it->get<std::string>();
  };
  if (kind == "acknowledge" || kind == "resolve") return {clinic_of(alert_clinic_, field("alert"), id, kind, "alert")};
  if (kind == "maintenance") return {clinic_of(device_clinic_, field("device"), id, kind, "device")};
  if (kind == "manual_reprocessing" || kind == "delivery_failed" || kind == "delivery_recovered") {
    return {shard_of(field("clinic"))};
  }
  throw std::runtime_error("action " + std::to_string(id) + " is of kind \"" + kind +
                           "\", which this sterifleet does not know: its shard is unknown");
}

std::optional<MigrationRouter::Shard> MigrationRouter::any_shard_of(std::int64_t commit) const {
  for (const auto& [shard, commits] : touched_) {
    if (commits.contains(commit)) return shard;
  }
  return std::nullopt;
}

void MigrationRouter::number() {
  for (const auto& [shard, commits] : touched_) {
    auto& numbers = numbers_[shard];
    std::int64_t n = 0;
    for (const auto old : commits) numbers.emplace(old, ++n);
  }
}

std::int64_t MigrationRouter::last_commit_by(Shard shard, std::int64_t old) const {
  const auto it = numbers_.find(shard);
  if (it == numbers_.end()) return 0;
  const auto after = it->second.upper_bound(old);
  return after == it->second.begin() ? 0 : std::prev(after)->second;
}

std::map<MigrationRouter::Shard, std::int64_t> MigrationRouter::commits() const {
  std::map<Shard, std::int64_t> out;
  for (const auto& [shard, numbers] : numbers_) out[shard] = static_cast<std::int64_t>(numbers.size());
  return out;
}

MigrationRouter::Shard MigrationRouter::clinic_of(const std::map<std::string, std::string>& clinics,
                                                  const std::string& key, std::int64_t id, const std::string& kind,
                                                  const char* what) {
  const auto it = clinics.find(key);
  if (it == clinics.end()) {
    throw std::runtime_error("action " + std::to_string(id) + " (" + kind + ") names " + what + " " + key +
                             ", which the store does not hold: its clinic, hence its shard, is unknown");
  }
  return shard_of(it->second);
}

}  // namespace sterifleet::app
