#include "field_reader.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace sterifleet::protocol::detail {

namespace {

std::string_view type_of(JsonKind kind) {
  switch (kind) {
    case JsonKind::null:
      return "null";
    case JsonKind::boolean:
      return "a boolean";
    case JsonKind::integer:
      return "an integer";
    case JsonKind::floating:
      return "a fractional number";
    case JsonKind::string:
      return "a string";
    case JsonKind::array:
      return "an array";
    case JsonKind::object:
      return "an object";
  }
  return "an unsupported value";
}

bool has_control_characters(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

// The bounds of an integer range as the spec writes them.
std::string range_text(std::int64_t min, std::int64_t max) {
  return "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
}

std::string range_text(double min, double max) {
  return "[" + nlohmann::json(min).dump() + ", " + nlohmann::json(max).dump() + "]";
}

std::string list_text(std::initializer_list<std::string_view> allowed) {
  std::string list;
  for (const auto option : allowed) {
    list += list.empty() ? "" : ", ";
    list += option;
  }
  return list;
}

// A drifted value as both back-ends render it alike (their own renderings of numbers differ).
template <class Value>
std::string rendering(const Value& value) {
  switch (value.kind()) {
    case JsonKind::null:
      return "null";
    case JsonKind::boolean:
      return value.boolean() ? "true" : "false";
    case JsonKind::integer:
      if (const auto number = value.int64()) return std::to_string(*number);
      if (const auto number = value.uint64()) return std::to_string(*number);
      return "an integer";
    case JsonKind::floating:
      return nlohmann::json(value.number()).dump();
    case JsonKind::string:
      return shortened(
          nlohmann::json(std::string(value.string())).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    case JsonKind::array:
      return "an array of " + std::to_string(value.size()) + " items";
    case JsonKind::object:
      return "an object";
  }
  return "a value";
}

}  // namespace

void ErrorSink::fail(Reason reason, std::string path, std::string detail) {
  if (!error_) error_ = DecodeError{reason, std::move(path), std::move(detail)};
}

void ErrorSink::drift(std::string path, std::string value, std::string detail) {
  drift_.push_back({std::move(path), std::move(value), std::move(detail)});
}

std::vector<Drift> ErrorSink::take_drift() {
  std::sort(drift_.begin(), drift_.end(), [](const Drift& a, const Drift& b) { return a.path < b.path; });
  return std::move(drift_);
}

template <class Value>
std::string FieldReader<Value>::path_of(std::string_view key) const {
  std::string escaped;
  for (const char c : key) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return path_ + "/" + (escaped.size() > max_id_length ? shortened(std::move(escaped)) : escaped);
}

template <class Value>
bool FieldReader<Value>::has(std::string_view key) const {
  return object_ && object_->find(key).has_value();
}

template <class Value>
void FieldReader<Value>::fail(std::string_view key, Reason reason, std::string detail) const {
  sink_->fail(reason, path_of(key), std::move(detail));
}

template <class Value>
void FieldReader<Value>::fail_item(std::string_view key, std::size_t index, Reason reason, std::string detail) const {
  sink_->fail(reason, path_of(key) + "/" + std::to_string(index), std::move(detail));
}

template <class Value>
std::optional<Value> FieldReader<Value>::field(std::string_view key) const {
  if (!ok()) return std::nullopt;
  auto value = object_ ? object_->find(key) : std::nullopt;
  if (!value) fail(key, Reason::missing_field, "required field is missing");
  return value;
}

template <class Value>
std::optional<Value> FieldReader<Value>::string_field(std::string_view key) const {
  const auto value = field(key);
  if (value && value->kind() != JsonKind::string) {
    fail(key, Reason::wrong_type, "expected a string, got " + std::string(type_of(value->kind())));
    return std::nullopt;
  }
  return value;
}

template <class Value>
std::optional<Value> FieldReader<Value>::integer_field(std::string_view key) const {
  const auto value = field(key);
  if (value && value->kind() != JsonKind::integer) {
    fail(key, Reason::wrong_type,
         "expected an integer, got " + std::string(type_of(value->kind())) + " " + value->describe());
    return std::nullopt;
  }
  return value;
}

template <class Value>
std::optional<Value> FieldReader<Value>::number_field(std::string_view key) const {
  const auto value = field(key);
  if (value && value->kind() != JsonKind::integer && value->kind() != JsonKind::floating) {
    fail(key, Reason::wrong_type, "expected a number, got " + std::string(type_of(value->kind())));
    return std::nullopt;
  }
  return value;
}

template <class Value>
void FieldReader<Value>::drift(std::string_view key, const Value& value, std::string detail) const {
  sink_->drift(path_of(key), rendering(value), std::move(detail));
}

template <class Value>
std::string FieldReader<Value>::id_text(std::string_view key) const {
  const auto value = field(key);
  if (!value) return {};
  if (value->kind() != JsonKind::string) {
    fail(key, Reason::wrong_type, "expected an id string, got " + std::string(type_of(value->kind())));
    return {};
  }
  const auto text = value->string();
  if (!is_valid_id(text)) {
    fail(key, Reason::bad_id, "expected an id matching [A-Za-z0-9_.-]{1,64}, got " + value->describe());
    return {};
  }
  return std::string(text);
}

template <class Value>
void FieldReader<Value>::version(std::string_view key, std::int64_t expected) const {
  const auto value = integer_field(key);
  if (!value) return;
  // A literal above INT64_MAX is just another wrong version.
  if (value->int64() != expected) {
    fail(key, Reason::unsupported_version,
         "protocol version " + value->describe() + " is not supported (this receiver speaks v" +
             std::to_string(expected) + ")");
  }
}

template <class Value>
std::int64_t FieldReader<Value>::integer(std::string_view key, std::int64_t min, std::int64_t max) const {
  const auto value = integer_field(key);
  if (!value) return min;
  const auto number = value->int64();
  if (!number || *number < min || *number > max) {
    fail(key, Reason::out_of_range, value->describe() + " is outside " + range_text(min, max));
    return min;
  }
  return *number;
}

template <class Value>
std::uint64_t FieldReader<Value>::unsigned_integer(std::string_view key, std::uint64_t min, std::uint64_t max) const {
  const auto value = integer_field(key);
  if (!value) return min;
  const auto number = value->uint64();
  if (!number || *number < min || *number > max) {
    fail(key, Reason::out_of_range,
         value->describe() + " is outside [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return min;
  }
  return *number;
}

template <class Value>
double FieldReader<Value>::number(std::string_view key, double min, double max) const {
  const auto value = number_field(key);
  if (!value) return min;
  const auto number = value->number();
  if (!(number >= min && number <= max)) {  // also catches an overflowing literal parsed as infinity
    fail(key, Reason::out_of_range, value->describe() + " is outside " + range_text(min, max));
    return min;
  }
  return number;
}

template <class Value>
bool FieldReader<Value>::boolean(std::string_view key) const {
  const auto value = field(key);
  if (!value) return false;
  if (value->kind() != JsonKind::boolean) {
    fail(key, Reason::wrong_type, "expected true or false, got " + std::string(type_of(value->kind())));
    return false;
  }
  return value->boolean();
}

template <class Value>
std::string FieldReader<Value>::text(std::string_view key, std::size_t max_length) const {
  const auto value = field(key);
  if (!value) return {};
  if (value->kind() != JsonKind::string) {
    fail(key, Reason::wrong_type, "expected a string, got " + std::string(type_of(value->kind())));
    return {};
  }
  const auto text = value->string();
  if (text.size() > max_length) {
    fail(key, Reason::out_of_range, "longer than " + std::to_string(max_length) + " bytes");
    return {};
  }
  if (has_control_characters(text)) {
    fail(key, Reason::bad_value, "contains control characters");
    return {};
  }
  return std::string(text);
}

template <class Value>
std::string FieldReader<Value>::string(std::string_view key) const {
  const auto value = field(key);
  if (!value) return {};
  if (value->kind() != JsonKind::string) {
    fail(key, Reason::wrong_type, "expected a string, got " + std::string(type_of(value->kind())));
    return {};
  }
  return std::string(value->string());
}

template <class Value>
std::optional<Timestamp> FieldReader<Value>::timestamp(std::string_view key) const {
  const auto value = field(key);
  if (!value) return std::nullopt;
  if (value->kind() != JsonKind::string) {
    fail(key, Reason::wrong_type,
         "expected an RFC 3339 UTC timestamp string, got " + std::string(type_of(value->kind())));
    return std::nullopt;
  }
  auto ts = parse_timestamp(value->string());
  if (!ts) {
    fail(key, Reason::bad_timestamp,
         "expected an RFC 3339 UTC timestamp like 2026-11-24T09:15:02.120Z, got " + value->describe());
  }
  return ts;
}

template <class Value>
Date FieldReader<Value>::date(std::string_view key) const {
  const auto value = field(key);
  if (!value) return {};
  if (value->kind() != JsonKind::string) {
    fail(key, Reason::wrong_type, "expected a date string YYYY-MM-DD, got " + std::string(type_of(value->kind())));
    return {};
  }
  const auto date = parse_date(value->string());
  if (!date) {
    fail(key, Reason::bad_timestamp, "expected a calendar date YYYY-MM-DD, got " + value->describe());
    return {};
  }
  return *date;
}

template <class Value>
std::string_view FieldReader<Value>::choice(std::string_view key,
                                            std::initializer_list<std::string_view> allowed) const {
  const auto value = field(key);
  if (!value) return {};
  if (value->kind() != JsonKind::string) {
    fail(key, Reason::wrong_type, "expected a string, got " + std::string(type_of(value->kind())));
    return {};
  }
  const auto text = value->string();
  for (const auto option : allowed) {
    if (option == text) return option;
  }
  fail(key, Reason::bad_value, value->describe() + " is not one of: " + list_text(allowed));
  return {};
}

template <class Value>
std::string FieldReader<Value>::listed(std::string_view key, std::initializer_list<std::string_view> allowed) const {
  const auto value = string_field(key);
  if (!value) return {};
  const auto text = value->string();
  if (std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
    drift(key, *value, "not one of: " + list_text(allowed));
  }
  return std::string(text);
}

template <class Value>
std::string FieldReader<Value>::descriptive_text(std::string_view key, std::size_t min_length,
                                                 std::size_t max_length) const {
  const auto value = string_field(key);
  if (!value) return {};
  const auto text = value->string();
  if (text.size() < min_length) {
    drift(key, *value, "shorter than " + std::to_string(min_length) + " bytes");
  } else if (text.size() > max_length) {
    drift(key, *value, "longer than " + std::to_string(max_length) + " bytes");
  } else if (has_control_characters(text)) {
    drift(key, *value, "contains control characters");
  }
  return std::string(text);
}

template <class Value>
std::string FieldReader<Value>::descriptive_id(std::string_view key, Shown shown) const {
  const auto value = string_field(key);
  if (!value) return {};
  const auto text = value->string();
  if (!is_valid_id(text)) {
    static constexpr std::string_view expected = "expected an id matching [A-Za-z0-9_.-]{1,64}";
    if (shown == Shown::as_sent) {
      drift(key, *value, std::string(expected));
    } else {
      sink_->drift(path_of(key), "a value of " + std::to_string(text.size()) + " bytes, not repeated here",
                   std::string(expected) + " (it may identify a person)");
    }
  }
  return std::string(text);
}

template <class Value>
std::int64_t FieldReader<Value>::descriptive_integer(std::string_view key, std::int64_t min, std::int64_t max) const {
  const auto value = integer_field(key);
  if (!value) return min;
  const auto number = value->int64();
  if (!number || *number < min || *number > max) drift(key, *value, "outside " + range_text(min, max));
  return number.value_or(std::numeric_limits<std::int64_t>::max());  // beyond int64: still outside the range
}

template <class Value>
double FieldReader<Value>::descriptive_number(std::string_view key, double min, double max) const {
  const auto value = number_field(key);
  if (!value) return min;
  const auto number = value->number();
  if (!(number >= min && number <= max)) drift(key, *value, "outside " + range_text(min, max));
  if (!std::isfinite(number)) return number > 0 ? max : min;
  return number;
}

template <class Value>
void FieldReader<Value>::unknown_fields(std::initializer_list<std::string_view> known) const {
  if (!object_) return;
  // Senders write the fields in the spec's order, as `known` lists them: the next one expected is
  // tried first, so a message costs one comparison a field.
  auto expected = known.begin();
  object_->for_each_field([&](std::string_view key, const Value& value) {
    const auto found =
        expected != known.end() && *expected == key ? expected : std::find(known.begin(), known.end(), key);
    if (found == known.end()) {
      drift(key, value, "not a field of protocol v1 here: ignored");
    } else {
      expected = std::next(found);
    }
  });
}

template <class Value>
FieldReader<Value> FieldReader<Value>::object(std::string_view key) const {
  auto value = field(key);
  if (value && value->kind() != JsonKind::object) {
    fail(key, Reason::wrong_type, "expected an object, got " + std::string(type_of(value->kind())));
    value.reset();
  }
  return FieldReader(value, path_of(key), *sink_);
}

template <class Value>
std::optional<Value> FieldReader<Value>::array(std::string_view key, std::size_t max_items) const {
  const auto value = field(key);
  if (!value) return std::nullopt;
  if (value->kind() != JsonKind::array) {
    fail(key, Reason::wrong_type, "expected an array, got " + std::string(type_of(value->kind())));
    return std::nullopt;
  }
  if (value->size() > max_items) {
    fail(key, Reason::too_many_items,
         std::to_string(value->size()) + " items, at most " + std::to_string(max_items) + " allowed");
    return std::nullopt;
  }
  return value;
}

template <class Value>
void FieldReader<Value>::forbid(std::string_view key, std::string_view why) const {
  if (ok() && has(key)) fail(key, Reason::field_not_allowed, std::string(why));
}

template class FieldReader<NlohmannValue>;
template class FieldReader<SimdValue>;

}  // namespace sterifleet::protocol::detail
