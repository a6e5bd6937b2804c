// The two JSON back-ends the decoder reads through one interface. simdjson parses the messages that are
// well formed, several times faster than a DOM of maps; nlohmann's parser, through parse_checked, says
// exactly what is wrong with the others (with a byte offset). The field rules are written once
// (FieldReader) and read either.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace sterifleet::protocol::detail {

enum class JsonKind { null, boolean, integer, floating, string, array, object };

/// At most 48 bytes of `text`, cut on a UTF-8 character boundary and marked with "...".
std::string shortened(std::string text);

/// A value of nlohmann's DOM, which must outlive it.
class NlohmannValue {
 public:
  explicit NlohmannValue(const nlohmann::json& value) : value_(&value) {}

  JsonKind kind() const;
  std::optional<NlohmannValue> find(std::string_view key) const;
  std::string_view string() const { return value_->get_ref<const std::string&>(); }
  bool boolean() const { return value_->get<bool>(); }
  /// An integer or fractional number as a double.
  double number() const { return value_->get<double>(); }
  /// An integer that fits in int64; nullopt for a larger one.
  std::optional<std::int64_t> int64() const;
  /// A non-negative integer; nullopt for a negative one.
  std::optional<std::uint64_t> uint64() const;
  std::size_t size() const { return value_->size(); }
  template <class Visit>
  void for_each_item(Visit visit) const {
    for (const auto& item : *value_) visit(NlohmannValue(item));
  }
  /// An object's fields, as (key, value).
  template <class Visit>
  void for_each_field(Visit visit) const {
    for (const auto& [key, item] : value_->items()) visit(std::string_view(key), NlohmannValue(item));
  }
  /// A short rendering for error messages.
  std::string describe() const;

 private:
  const nlohmann::json* value_;
};

/// A value of simdjson's DOM, valid while its parser holds the document.
class SimdValue {
 public:
  explicit SimdValue(simdjson::dom::element value) : value_(value) {}

  JsonKind kind() const;
  std::optional<SimdValue> find(std::string_view key) const;
  std::string_view string() const { return value_.get_string().value_unsafe(); }
  bool boolean() const { return value_.get_bool().value_unsafe(); }
  double number() const;
  std::optional<std::int64_t> int64() const;
  std::optional<std::uint64_t> uint64() const;
  std::size_t size() const { return simdjson::dom::array(value_).size(); }
  template <class Visit>
  void for_each_item(Visit visit) const {
    const simdjson::dom::array array(value_);
    for (const auto item : array) visit(SimdValue(item));
  }
  template <class Visit>
  void for_each_field(Visit visit) const {
    const simdjson::dom::object object(value_);
    for (const auto field : object) visit(field.key, SimdValue(field.value));
  }
  std::string describe() const;

 private:
  simdjson::dom::element value_;
};

}  // namespace sterifleet::protocol::detail
