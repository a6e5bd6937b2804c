// Reads typed fields out of a parsed JSON object, enforcing the spec's type, charset and range rules,
// over either JSON back-end (json_value.hpp). The first violation is recorded with its JSON Pointer
// path; later reads then return defaults and record nothing, so decoding code reads straight through
// and checks ok() once. Descriptive fields (no rule judges by them) are read by the descriptive_*
// readers: a value outside the rules is drift, recorded beside the message and kept as sent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "json_value.hpp"
#include "sterifleet/protocol/decode_error.hpp"
#include "sterifleet/protocol/ids.hpp"
#include "sterifleet/protocol/message.hpp"
#include "sterifleet/protocol/time.hpp"

namespace sterifleet::protocol::detail {

/// Holds the first error of one decode, and its drift.
class ErrorSink {
 public:
  bool ok() const noexcept { return !error_; }
  void fail(Reason reason, std::string path, std::string detail);
  DecodeError take() { return std::move(*error_); }
  void drift(std::string path, std::string value, std::string detail);
  /// The drift, by path (the back-ends visit an object's fields in different orders).
  std::vector<Drift> take_drift();

 private:
  std::optional<DecodeError> error_;
  std::vector<Drift> drift_;
};

template <class Value>
class FieldReader {
 public:
  /// `object` is nullopt for a missing one, whose every field is then missing too.
  FieldReader(std::optional<Value> object, std::string path, ErrorSink& sink)
      : object_(object), path_(std::move(path)), sink_(&sink) {}

  bool ok() const noexcept { return sink_->ok(); }
  bool has(std::string_view key) const;
  /// The JSON Pointer of a field (RFC 6901: "~" and "/" escaped), a key of over 64 bytes shortened.
  std::string path_of(std::string_view key) const;
  void fail(std::string_view key, Reason reason, std::string detail) const;
  /// A fault of the `index`-th item of the array under `key`.
  void fail_item(std::string_view key, std::size_t index, Reason reason, std::string detail) const;

  /// An id string (charset and length checked); read_id() wraps it in its type.
  std::string id_text(std::string_view key) const;
  /// The protocol version: an integer other than `expected`, however large, is unsupported_version.
  void version(std::string_view key, std::int64_t expected) const;
  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max) const;
  std::uint64_t unsigned_integer(std::string_view key, std::uint64_t min, std::uint64_t max) const;
  double number(std::string_view key, double min, double max) const;
  bool boolean(std::string_view key) const;
  std::string text(std::string_view key, std::size_t max_length) const;
  /// Any string, unchecked: for values the caller matches against a list itself.
  std::string string(std::string_view key) const;
  std::optional<Timestamp> timestamp(std::string_view key) const;
  Date date(std::string_view key) const;
  /// A string that must be one of `allowed` (listed in the error message); returns it if so.
  std::string_view choice(std::string_view key, std::initializer_list<std::string_view> allowed) const;
  FieldReader object(std::string_view key) const;

  // Descriptive fields. Absent or of the wrong JSON type is still a fault; a value outside the rules
  // is drift, and the value as sent is returned.
  /// A string from `allowed`, or drift for one the list lacks.
  std::string listed(std::string_view key, std::initializer_list<std::string_view> allowed) const;
  /// Text of `min_length` to `max_length` bytes without control characters, or drift.
  std::string descriptive_text(std::string_view key, std::size_t min_length, std::size_t max_length) const;
  /// Whether a drift report may repeat the value: not a patient reference, which may then be a name.
  enum class Shown { as_sent, withheld };
  /// An id string, or drift outside the id charset.
  std::string descriptive_id(std::string_view key, Shown shown = Shown::as_sent) const;
  /// An integer in range, or drift (one beyond int64 becomes the nearest bound).
  std::int64_t descriptive_integer(std::string_view key, std::int64_t min, std::int64_t max) const;
  /// A number in range, or drift (an overflowing literal becomes the nearest bound).
  double descriptive_number(std::string_view key, double min, double max) const;
  /// Each field of this object that is not in `known` is drift: the spec does not define it here.
  void unknown_fields(std::initializer_list<std::string_view> known) const;
  /// The array under `key`, or nullopt after recording an error.
  std::optional<Value> array(std::string_view key, std::size_t max_items) const;
  void forbid(std::string_view key, std::string_view why) const;

 private:
  std::optional<Value> field(std::string_view key) const;  // records missing_field when absent
  /// The field if present and a string, else records missing_field or wrong_type.
  std::optional<Value> string_field(std::string_view key) const;
  /// The same for an integer, and for a number (integer or fraction).
  std::optional<Value> integer_field(std::string_view key) const;
  std::optional<Value> number_field(std::string_view key) const;
  void drift(std::string_view key, const Value& value, std::string detail) const;

  std::optional<Value> object_;
  std::string path_;
  ErrorSink* sink_;
};

template <class IdType, class Value>
IdType read_id(const FieldReader<Value>& in, std::string_view key) {
  return IdType{in.id_text(key)};
}

template <class IdType, class Value>
std::optional<IdType> read_optional_id(const FieldReader<Value>& in, std::string_view key) {
  if (!in.has(key)) return std::nullopt;
  return IdType{in.id_text(key)};
}

/// The reader of commands and of the messages the fast path refused.
using JsonFieldReader = FieldReader<NlohmannValue>;

}  // namespace sterifleet::protocol::detail
