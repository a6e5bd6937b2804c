// Which daemon's shard a clinic belongs to. The fleet is split by clinic (rules cross the devices of one
// clinic, never clinics) into a fixed number of virtual shards that every daemon computes alike: a clinic
// goes to its pinned shard, else to FNV-1a 64 of its id modulo the shard count. Pure (no I/O), so a
// ShardMap is safe to share between threads once built.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sterifleet/protocol/ids.hpp"

namespace sterifleet::cluster {

/// A virtual shard's number, 0 to shards - 1.
using Shard = int;

inline constexpr int default_shards = 32;
/// Bounds the per-shard work (one lease row, one MQTT session each) a cluster can be given.
inline constexpr int max_shards = 1024;

/// FNV-1a, 64 bits, over the bytes of `text`: the same value on every build and platform, which
/// std::hash does not promise (daemons built apart must agree on every clinic's shard).
std::uint64_t fnv1a_64(std::string_view text) noexcept;

class ShardMap {
 public:
  /// Throws std::invalid_argument naming the problem: `shards` outside 1..max_shards, a pinned clinic that
  /// is not a protocol id (it must be one level of a topic), a pin outside 0..shards-1.
  explicit ShardMap(int shards = default_shards, std::map<protocol::ClinicId, Shard> pins = {});

  int shards() const noexcept { return shards_; }
  const std::map<protocol::ClinicId, Shard>& pins() const noexcept { return pins_; }

  /// The clinic's pinned shard, else its hash's. Throws std::invalid_argument if `clinic` is not an id.
  Shard shard_of(const protocol::ClinicId& clinic) const;

  /// The clinics of `shard` among `known` and the pinned ones, sorted, each once. Throws
  /// std::invalid_argument for a shard out of range or a known clinic that is not an id.
  std::vector<protocol::ClinicId> clinics_of(Shard shard, std::span<const protocol::ClinicId> known) const;

  /// What the shard's MQTT session subscribes to: every device channel of each of its clinics
  /// (sterifleet/v1/<clinic>/+/<channel>), never another shard's. Throws as clinics_of does.
  std::vector<std::string> topic_filters(Shard shard, std::span<const protocol::ClinicId> known) const;

  /// The shard's persistent MQTT session: the same id whichever daemon holds the shard, so the broker
  /// keeps queueing its messages across a takeover. Throws std::invalid_argument for a shard out of range.
  std::string client_id(Shard shard) const;

 private:
  void check_shard(Shard shard) const;

  int shards_;
  std::map<protocol::ClinicId, Shard> pins_;
};

}  // namespace sterifleet::cluster
