#include "sterifleet/cluster/shard_map.hpp"

#include <set>
#include <stdexcept>

#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::cluster {

namespace {

void check_clinic(const protocol::ClinicId& clinic) {
  if (!protocol::is_valid_id(clinic.str())) {
    throw std::invalid_argument("clinic \"" + clinic.str() +
                                "\" is not an id ([A-Za-z0-9_.-]{1,64}), so it cannot be a level of its topics");
  }
}

}  // namespace

std::uint64_t fnv1a_64(std::string_view text) noexcept {
  std::uint64_t hash = 0xcbf29ce484222325u;  // the offset basis and prime of the FNV specification
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3u;
  }
  return hash;
}

ShardMap::ShardMap(int shards, std::map<protocol::ClinicId, Shard> pins) : shards_(shards), pins_(std::move(pins)) {
  if (shards_ < 1 || shards_ > max_shards) {
    throw std::invalid_argument("the number of shards must be 1 to " + std::to_string(max_shards) + " (got " +
                                std::to_string(shards_) + ")");
  }
  for (const auto& [clinic, shard] : pins_) {
    check_clinic(clinic);
    if (shard < 0 || shard >= shards_) {
      throw std::invalid_argument("clinic \"" + clinic.str() + "\" is pinned to shard " + std::to_string(shard) +
                                  ", outside 0.." + std::to_string(shards_ - 1) + " of " + std::to_string(shards_) +
                                  " shards");
    }
  }
}

Shard ShardMap::shard_of(const protocol::ClinicId& clinic) const {
  check_clinic(clinic);
  if (const auto pin = pins_.find(clinic); pin != pins_.end()) return pin->second;
  return static_cast<Shard>(fnv1a_64(clinic.str()) % static_cast<std::uint64_t>(shards_));
}

std::vector<protocol::ClinicId> ShardMap::clinics_of(Shard shard, std::span<const protocol::ClinicId> known) const {
  check_shard(shard);
  std::set<protocol::ClinicId> clinics;
  for (const auto& clinic : known) {
    if (shard_of(clinic) == shard) clinics.insert(clinic);
  }
  for (const auto& [clinic, pinned] : pins_) {
    if (pinned == shard) clinics.insert(clinic);
  }
  return {clinics.begin(), clinics.end()};
}

std::vector<std::string> ShardMap::topic_filters(Shard shard, std::span<const protocol::ClinicId> known) const {
  std::vector<std::string> filters;
  for (const auto& clinic : clinics_of(shard, known)) {
    for (const auto channel : protocol::device_channels) filters.push_back(protocol::channel_filter(channel, clinic));
  }
  return filters;
}

std::string ShardMap::client_id(Shard shard) const {
  check_shard(shard);
  return "sterifleetd-shard-" + std::to_string(shard);
}

void ShardMap::check_shard(Shard shard) const {
  if (shard < 0 || shard >= shards_) {
    throw std::invalid_argument("shard " + std::to_string(shard) + " is outside 0.." + std::to_string(shards_ - 1));
  }
}

}  // namespace sterifleet::cluster
