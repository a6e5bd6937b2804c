// Signed audit checkpoints: "at this time, the audit chain held records 1..seq, the last hashing to
// head and the first to first", signed with the daemon's Ed25519 key. Kept outside the store (a file,
// a retained MQTT message, a notification, a report), they let `sterifleet audit verify` prove that a
// store still holds that history: the scheme is in daemon/checkpoint/README.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "sterifleet/crypto/ed25519.hpp"
#include "sterifleet/protocol/time.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::checkpoint {

using protocol::Timestamp;

struct Checkpoint {
  std::int64_t seq = 0;  ///< the chain's last record then (0: empty)
  std::string head;      ///< its hash, 64 lower-case hex digits (64 zeros for an empty chain)
  std::string first;     ///< the hash of record 1 (64 zeros for an empty chain): tells a replaced chain
  Timestamp at;          ///< when it was signed
  crypto::PublicKey key{};
  crypto::Signature signature{};
};

/// The bytes the signature covers: one line a field, in a fixed order, under a header naming the scheme.
std::string signed_text(const Checkpoint& checkpoint);

Checkpoint sign(const crypto::SigningKey& key, const store::AuditHead& head, std::string first, Timestamp at);
/// Signs `head`, a head `store` had, reading record 1's hash from it. Throws store::StoreError.
Checkpoint sign(const crypto::SigningKey& key, store::Store& store, const store::AuditHead& head, Timestamp at);

/// {"v":1,"seq","head","first","at","key","sig"}, key and sig in base64.
nlohmann::json to_json(const Checkpoint& checkpoint);
/// to_json() as one line of compact JSON (no line break).
std::string to_line(const Checkpoint& checkpoint);

/// A checkpoint read from outside; `problem` says why it is none (the first bad field).
struct Parsed {
  std::optional<Checkpoint> checkpoint;
  std::string problem;
};
Parsed from_json(const nlohmann::json& value);
Parsed from_line(std::string_view line);

/// Why the checkpoint cannot be trusted: its signature is not its key's, or its key is not `pinned`.
/// None when it can.
std::optional<std::string> signature_problem(const Checkpoint& checkpoint,
                                             const std::optional<crypto::PublicKey>& pinned);

/// The key as the checkpoint names it: base64 of its 32 bytes.
std::string key_text(const crypto::PublicKey& key);

}  // namespace sterifleet::checkpoint
