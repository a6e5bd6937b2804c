// The formats a report is made in, and the seal every report carries: the SHA-256 of its body and the
// audit-chain head it was made against (the scheme: daemon/report/README.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sterifleet/checkpoint/checkpoint.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::report {

/// What a report is of: a clinic's (or every clinic's) compliance over a period, or one recall.
enum class Kind { compliance, recall };
std::string_view to_string(Kind kind) noexcept;

enum class Format { csv, json, pdf };
std::string_view to_string(Format format) noexcept;
std::optional<Format> parse_format(std::string_view text) noexcept;
/// The Content-Type to serve it with.
std::string_view media_type(Format format) noexcept;
/// "csv", "json", "pdf": the file name extension.
std::string_view extension(Format format) noexcept;

/// A report's seal. CSV and JSON state it in a footer that the SHA-256 does not cover; a PDF is all body
/// (its last page prints the head) and its SHA-256 is given beside it and in the audit record.
struct Seal {
  std::string sha256;            ///< hex SHA-256 of the body
  std::uint64_t body_bytes = 0;  ///< the body is the first body_bytes bytes of the file
  store::AuditHead head;         ///< the audit chain's head once the last row had been read
  /// The daemon's signed checkpoint of `head`, so the head can be proven against a copy of the store or
  /// a checkpoint kept elsewhere; none when the maker had no signing key.
  std::optional<checkpoint::Checkpoint> checkpoint;
};

/// The audit trail's entity for a report: "report:<sha256>".
std::string report_entity(std::string_view sha256);

}  // namespace sterifleet::report
