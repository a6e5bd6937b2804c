// Why a message was rejected: a stable reason code (quarantine column, metric label) and the place.
// The path is a JSON Pointer into the payload ("/body/cartridge/expires"); empty for whole-message faults.
#pragma once

#include <boost/assert/source_location.hpp>
#include <string>
#include <string_view>

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

struct DecodeError {
  Reason reason = Reason::malformed_json;
  std::string path;
  std::string detail;

  /// "<path>: <detail>" or just the detail for whole-message faults.
  std::string message() const;
};

/// Found by ADL when boost::system::result<T, DecodeError>::value() meets a rejection.
[[noreturn]] void throw_exception_from_error(const DecodeError& error, const boost::source_location& location);

}  // namespace sterifleet::protocol
