// The audit chain's bytes and hashes, shared by every back-end. A record's hash is
// SHA-256(prev_hash || C), C its canonical bytes: the RFC 8785 form (canonical_json.hpp) of
// {action, actor, after, at, before, cause, clinic, entity, prev, seq}, clinic left out when empty (the
// fleet's records, and all records stored before records named their clinic, which thus keep their hash). A record is
// checked and its before and after written in that form once, when it is stored; verification rebuilds C from the
// stored columns without parsing them, so it streams a million records and verifies records stored before the form was
// RFC 8785 too (their before/after text is nlohmann's dump(), which differs from RFC 8785 only in how a non-integer
// number is written, and is hashed as it was stored).
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sterifleet/crypto/sha256.hpp"
#include "sterifleet/engine/effects.hpp"
#include "sterifleet/protocol/time.hpp"

namespace sterifleet::store::detail {

using protocol::Timestamp;

/// 64 zeros: the prev_hash of the first record.
inline constexpr std::string_view genesis_hash = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of one chained record as stored: `before` and `after` are JSON text, `at` is the RFC 3339
/// form of its time.
struct AuditParts {
  std::int64_t seq = 0;
  std::string_view at;
  std::string_view actor;
  std::string_view entity;
  std::string_view action;
  std::string_view before;
  std::string_view after;
  std::string_view cause;
  std::string_view prev;
  std::string_view clinic;  ///< empty: the fleet's record, and the key is left out
};

/// Appends the canonical bytes of a stored record to `out`: one JSON object, keys sorted, no whitespace,
/// strings escaped as RFC 8785 escapes them, before and after inserted as stored.
void append_canonical(std::string& out, const AuditParts& parts);

/// Appends protocol::format_timestamp(ts) without allocating: verification formats a million of them.
void append_timestamp(std::string& out, Timestamp ts);

/// What a record's columns hold, made once when it is stored.
struct AuditText {
  std::string at;
  std::string actor;
  std::string entity;
  std::string action;
  std::string before;  ///< RFC 8785
  std::string after;
  std::string cause;
  std::string clinic;
};

/// Never throws on the record's content: text that is not UTF-8 is stored with U+FFFD in place of the
/// bad bytes, a number that is not finite as null (what RFC 8785 cannot hold).
AuditText audit_text(const engine::AuditRecord& record);

/// Compact JSON text with sorted keys, for rows that are stored but not chained; invalid UTF-8 in
/// strings becomes U+FFFD so it always serialises.
std::string json_text(const nlohmann::json& value);

using HexDigest = std::array<char, 64>;

inline std::string_view view(const HexDigest& digest) { return {digest.data(), digest.size()}; }

/// Lower-case hex of SHA-256(prev || canonical), with the caller's reusable context.
HexDigest link_hash(crypto::Sha256& sha256, std::string_view prev, std::string_view canonical);

}  // namespace sterifleet::store::detail
