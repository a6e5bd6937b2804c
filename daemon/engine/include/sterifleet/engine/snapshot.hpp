// Engine snapshots: the whole state of an Engine as bytes, so that a restart loads it and replays only
// the inputs that came after it instead of the whole journal. Pure: the caller stores the bytes.
//
// Exactness: an engine restored from a snapshot is in exactly the state of the engine that wrote it,
// down to its indexes, sequence trackers, clinic clocks, deadlines and orphan results; and since the
// engine's outputs never depend on a hash map's iteration order, it behaves the same from then on.
// The snapshot also holds the policy in force and the one the engine was built with (see
// Engine::from_snapshot for why).
//
// Format: a magic, the format version below, then every record's fields in a fixed order (varints,
// length-prefixed strings, IEEE doubles), unordered containers sorted by key, so the same state always
// gives the same bytes. snapshot.cpp lists the fields: changing that list changes the format, so
// `snapshot_format` must change with it; a snapshot of another version is refused, never guessed at.
#pragma once

#include <cstdint>
#include <stdexcept>

namespace sterifleet::engine {

inline constexpr std::uint32_t snapshot_format = 5;  // 5: device.clinic_mismatch, the patient reference pattern

/// The bytes are not a snapshot this engine can load (another format version, truncated, damaged, or
/// taken under another base policy): rebuild from the journal instead.
class SnapshotError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace sterifleet::engine
