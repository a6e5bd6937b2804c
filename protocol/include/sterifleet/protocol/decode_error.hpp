// Why a message was rejected: a stable reason code (quarantine column, metric label) and the place.
// The path is a JSON Pointer into the payload ("/body/cartridge/expires"); empty for whole-message faults.
#pragma once

#include <boost/assert/source_location.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sterifleet/protocol/time.hpp"

namespace sterifleet::protocol {

enum class Reason {
  bad_topic,
  payload_too_large,
  malformed_json,
  too_deep,
  duplicate_key,
  not_an_object,
  unsupported_version,
  missing_field,
  wrong_type,
  out_of_range,
  bad_id,
  bad_timestamp,
  clock_skew,
  bad_value,
  too_many_items,
  duplicate_item,
  field_not_allowed,
  unknown_type,
  wrong_channel,
  identity_mismatch,
};

/// Stable snake_case name, e.g. "missing_field".
std::string_view to_string(Reason reason) noexcept;
/// The reason of a name to_string() gives; nullopt for any other text (an engine refusal's code).
std::optional<Reason> parse_reason(std::string_view name) noexcept;

/// What the envelope of a rejected device message said before its fault: enough for the receiver to
/// count its sequence number as received and to name its type. Read only from a payload that names the
/// device of its topic; empty for commands, statuses and unreadable payloads.
struct SeenEnvelope {
  std::optional<std::uint32_t> boot;
  std::optional<std::uint64_t> seq;
  std::optional<Timestamp> ts;
  std::string type;  ///< as sent, when it is a string
};

struct DecodeError {
  DecodeError() = default;
  DecodeError(Reason why, std::string where, std::string what)
      : reason(why), path(std::move(where)), detail(std::move(what)) {}

  Reason reason = Reason::malformed_json;
  std::string path;
  std::string detail;
  SeenEnvelope seen = {};

  /// "<path>: <detail>" or just the detail for whole-message faults.
  std::string message() const;
};

/// Found by ADL when boost::system::result<T, DecodeError>::value() meets a rejection.
[[noreturn]] void throw_exception_from_error(const DecodeError& error, const boost::source_location& location);

}  // namespace sterifleet::protocol
