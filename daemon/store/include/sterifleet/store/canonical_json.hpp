// The JSON Canonicalization Scheme (RFC 8785, "JCS"): the one byte form of a JSON value that the audit
// chain hashes, so that anyone can recompute a record's hash from its values with any JCS library.
//
// The form: no whitespace; object members sorted by their keys' UTF-16 code units; strings as UTF-8
// with only `"`, `\`, and U+0000..U+001F escaped (\b \t \n \f \r, others \u00xx in lower case);
// numbers as ECMAScript's Number.prototype.toString writes them (shortest round-trip digits, 1e+21
// from 10^21 up, 1e-7 from below 10^-6, -0 as 0). Integers, which is every number the daemon puts in
// an audit record, are written with all their digits; RFC 8785 would first round an integer beyond
// 2^53 to a double, a value the daemon never writes. Refused with CanonicalJsonError, naming where:
// a string or key that is not UTF-8 (RFC 8785 takes Unicode text, and replacing bad bytes would give
// different values one hash), NaN and infinities (not JSON), and nlohmann's binary values.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sterifleet::store {

class CanonicalJsonError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Appends the RFC 8785 form of `value` to `out`. Throws CanonicalJsonError; `out` may then hold part.
void append_canonical_json(std::string& out, const nlohmann::json& value);
std::string canonical_json(const nlohmann::json& value);

/// Appends `text` as an RFC 8785 string, quotes included, bytes copied as they are with no UTF-8 check:
/// for stored text, checked when it was written (or written before the check, and hashed as it was).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace sterifleet::store
