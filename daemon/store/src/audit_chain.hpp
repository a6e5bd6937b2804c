// The audit chain's bytes and hashes, shared by every back-end: how a record becomes canonical text,
// and a reusable SHA-256 so that verifying a million records allocates no digest context per record.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sterifleet/protocol/time.hpp"

struct evp_md_ctx_st;

namespace sterifleet::store::detail {

using protocol::Timestamp;

/// 64 zeros: the prev_hash of the first record.
inline constexpr std::string_view genesis_hash = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of one chained record as stored: `before` and `after` are JSON text as json_text()
/// writes it, `at` is the RFC 3339 form of its time.
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
};

/// Appends the canonical bytes of a record to `out`: one JSON object, keys sorted, no whitespace,
/// strings escaped as nlohmann::json::dump() escapes them. Byte-for-byte what json_text() would
/// write for the same object, but built from stored text without parsing it.
void append_canonical(std::string& out, const AuditParts& parts);

/// Appends protocol::format_timestamp(ts) without allocating: verification formats a million of them.
void append_timestamp(std::string& out, Timestamp ts);

/// Compact JSON text with sorted keys; invalid UTF-8 in strings becomes U+FFFD so it always serialises.
std::string json_text(const nlohmann::json& value);

using HexDigest = std::array<char, 64>;

inline std::string_view view(const HexDigest& digest) { return {digest.data(), digest.size()}; }

/// SHA-256 with a context reused across calls. Not thread-safe: one per thread or per verification.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  /// Lowercase hex of SHA-256(a || b).
  HexDigest digest(std::string_view a, std::string_view b = {});

 private:
  ::evp_md_ctx_st* context_;
};

}  // namespace sterifleet::store::detail
