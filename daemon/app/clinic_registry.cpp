#include "clinic_registry.hpp"

#include <pqxx/pqxx>
#include <set>

#include "sterifleet/cluster/lease_table.hpp"

namespace sterifleet::app {

struct ClinicRegistry::Session {
  explicit Session(const std::string& url) : connection(url) {}
  pqxx::connection connection;
};

ClinicRegistry::ClinicRegistry(std::string url, cluster::ShardMap map) : url_(std::move(url)), map_(std::move(map)) {}

ClinicRegistry::~ClinicRegistry() = default;

ClinicRegistry::Session& ClinicRegistry::session() {
  if (session_ && !session_->connection.is_open()) session_.reset();
  if (!session_) {
    try {
      session_ = std::make_unique<Session>(url_);
    } catch (const std::exception& e) {
      throw cluster::ClusterError(std::string("connecting to PostgreSQL for the clinic registry: ") + e.what());
    }
  }
  return *session_;
}

void ClinicRegistry::register_clinics(const std::vector<std::string>& clinics) {
  std::set<std::string> all(clinics.begin(), clinics.end());
  for (const auto& [clinic, shard] : map_.pins()) all.insert(clinic.str());
  try {
    pqxx::work tx(session().connection);
    for (const auto& name : all) {
      const protocol::ClinicId clinic(name);
      const auto shard = map_.shard_of(clinic);
      const bool pinned = map_.pins().contains(clinic);
      // Live at once: a configured clinic is heard by its shard's persistent session from that session's
      // first connection, as the single daemon hears the fleet from its first start. Were the lobby to keep
      // copies of its messages too, the owner would judge them out of the session's order.
      tx.exec_params0(
          "INSERT INTO clinic_shards (clinic, shard, pinned, live) VALUES ($1, $2, $3, true) ON CONFLICT DO NOTHING",
          name, shard, pinned);
      const auto known = tx.exec_params1("SELECT shard FROM clinic_shards WHERE clinic = $1", name)[0].as<int>();
      if (known != shard) {
        throw cluster::ClusterError("clinic \"" + name + "\" is on shard " + std::to_string(known) +
                                    " in the cluster, but this daemon's configuration puts it on shard " +
                                    std::to_string(shard) + (pinned ? " (pinned)" : " (hashed)") +
                                    ": moving a clinic to another shard is not supported yet; give every daemon "
                                    "the same [cluster] shards and pins");
      }
    }
    tx.commit();
  } catch (const pqxx::failure& e) {
    session_.reset();
    throw cluster::ClusterError(std::string("registering the configured clinics: ") + e.what());
  }
}

std::map<cluster::Shard, std::vector<protocol::ClinicId>> ClinicRegistry::clinics_by_shard() {
  std::map<cluster::Shard, std::vector<protocol::ClinicId>> by_shard;
  try {
    pqxx::read_transaction tx(session().connection);
    for (const auto& row : tx.exec("SELECT clinic, shard FROM clinic_shards ORDER BY clinic")) {
      by_shard[row[1].as<int>()].emplace_back(row[0].as<std::string>());
    }
  } catch (const pqxx::failure& e) {
    session_.reset();
    throw cluster::ClusterError(std::string("reading the registered clinics: ") + e.what());
  }
  return by_shard;
}

std::vector<ClinicRegistry::Arrival> ClinicRegistry::arrivals() {
  std::vector<Arrival> found;
  try {
    pqxx::read_transaction tx(session().connection);
    for (const auto& row : tx.exec("SELECT c.clinic, c.shard, c.live FROM clinic_shards c WHERE NOT c.live OR EXISTS "
                                   "(SELECT 1 FROM lobby_messages m WHERE m.clinic = c.clinic) ORDER BY c.clinic")) {
      found.push_back({protocol::ClinicId(row[0].as<std::string>()), row[1].as<int>(), row[2].as<bool>()});
    }
  } catch (const pqxx::failure& e) {
    session_.reset();
    throw cluster::ClusterError(std::string("reading the clinics waiting for their shard: ") + e.what());
  }
  return found;
}

std::vector<ClinicRegistry::LobbyMessage> ClinicRegistry::lobby_messages(const protocol::ClinicId& clinic,
                                                                         std::size_t limit) {
  std::vector<LobbyMessage> kept;
  try {
    pqxx::read_transaction tx(session().connection);
    for (const auto& row : tx.exec_params("SELECT id, topic, payload, retained FROM lobby_messages WHERE clinic = $1 "
                                          "ORDER BY id LIMIT $2",
                                          clinic.str(), static_cast<std::int64_t>(limit))) {
      kept.push_back(
          {row[0].as<std::int64_t>(), row[1].as<std::string>(), pqxx::binarystring(row[2]).str(), row[3].as<bool>()});
    }
  } catch (const pqxx::failure& e) {
    session_.reset();
    throw cluster::ClusterError("reading the lobby's messages of clinic " + clinic.str() + ": " + e.what());
  }
  return kept;
}

}  // namespace sterifleet::app
