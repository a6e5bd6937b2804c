// Reads typed fields out of a parsed JSON object, enforcing the spec's type, charset and range rules.
// The first violation is recorded with its JSON Pointer path; later reads then return defaults and
// record nothing, so decoding code reads straight through and checks ok() once.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "sterifleet/protocol/decode_error.hpp"
#include "sterifleet/protocol/ids.hpp"
#include "sterifleet/protocol/time.hpp"

namespace sterifleet::protocol::detail {

/// Holds the first error of one decode.
class ErrorSink {
 public:
  bool ok() const noexcept { return !error_; }
  void fail(Reason reason, std::string path, std::string detail);
  DecodeError take() { return std::move(*error_); }

 private:
  std::optional<DecodeError> error_;
};

/// A short rendering of an offending value for error messages.
std::string describe(const nlohmann::json& value);

class FieldReader {
 public:
  FieldReader(const nlohmann::json& object, std::string path, ErrorSink& sink)
      : object_(&object), path_(std::move(path)), sink_(&sink) {}

  bool ok() const noexcept { return sink_->ok(); }
  bool has(std::string_view key) const;
  std::string path_of(std::string_view key) const { return path_ + "/" + std::string(key); }
  void fail(std::string_view key, Reason reason, std::string detail) const;

  template <class IdType>
  IdType id(std::string_view key) const {
    return IdType{id_text(key)};
  }
  template <class IdType>
  std::optional<IdType> optional_id(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    return IdType{id_text(key)};
  }

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
  /// The array under `key`, or an empty one after recording an error.
  const nlohmann::json& array(std::string_view key, std::size_t max_items) const;
  void forbid(std::string_view key, std::string_view why) const;

 private:
  const nlohmann::json* field(std::string_view key) const;  // records missing_field when absent
  std::string id_text(std::string_view key) const;

  const nlohmann::json* object_;
  std::string path_;
  ErrorSink* sink_;
};

}  // namespace sterifleet::protocol::detail
