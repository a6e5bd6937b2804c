#include "sterifleet/protocol/decode_error.hpp"

#include <stdexcept>

#include "enum_names.hpp"

namespace sterifleet::protocol {

namespace {
constexpr detail::NameTable<Reason, 20> reasons{{
    {Reason::bad_topic, "bad_topic"},
    {Reason::payload_too_large, "payload_too_large"},
    {Reason::malformed_json, "malformed_json"},
    {Reason::too_deep, "too_deep"},
    {Reason::duplicate_key, "duplicate_key"},
    {Reason::not_an_object, "not_an_object"},
    {Reason::unsupported_version, "unsupported_version"},
    {Reason::missing_field, "missing_field"},
    {Reason::wrong_type, "wrong_type"},
    {Reason::out_of_range, "out_of_range"},
    {Reason::bad_id, "bad_id"},
    {Reason::bad_timestamp, "bad_timestamp"},
    {Reason::clock_skew, "clock_skew"},
    {Reason::bad_value, "bad_value"},
    {Reason::too_many_items, "too_many_items"},
    {Reason::duplicate_item, "duplicate_item"},
    {Reason::field_not_allowed, "field_not_allowed"},
    {Reason::unknown_type, "unknown_type"},
    {Reason::wrong_channel, "wrong_channel"},
    {Reason::identity_mismatch, "identity_mismatch"},
}};
}  // namespace

std::string_view to_string(Reason reason) noexcept { return detail::name_of(reasons, reason); }
std::optional<Reason> parse_reason(std::string_view name) noexcept { return detail::value_of(reasons, name); }

std::string DecodeError::message() const { return path.empty() ? detail : path + ": " + detail; }

void throw_exception_from_error(const DecodeError& error, const boost::source_location&) {
  throw std::invalid_argument(std::string{to_string(error.reason)} + ": " + error.message());
}

}  // namespace sterifleet::protocol
