#include "field_reader.hpp"

#include <algorithm>

namespace sterifleet::protocol::detail {

namespace {

using json = nlohmann::json;

const json& empty_value() {
  static const json empty = json::array();
  return empty;
}

std::string_view type_of(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a fractional number";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    default:
      return "an unsupported value";
  }
}

bool has_control_characters(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

}  // namespace

void ErrorSink::fail(Reason reason, std::string path, std::string detail) {
  if (!error_) error_ = DecodeError{reason, std::move(path), std::move(detail)};
}

std::string describe(const json& value) {
  constexpr std::size_t limit = 48;
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > limit) {
    // Cut on a UTF-8 character boundary so the message itself stays valid text.
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    text += "...";
  }
  return text;
}

bool FieldReader::has(std::string_view key) const { return object_->contains(key); }

void FieldReader::fail(std::string_view key, Reason reason, std::string detail) const {
  sink_->fail(reason, path_of(key), std::move(detail));
}

const json* FieldReader::field(std::string_view key) const {
  if (!ok()) return nullptr;
  const auto it = object_->find(key);
  if (it == object_->end()) {
    fail(key, Reason::missing_field, "required field is missing");
    return nullptr;
  }
  return &*it;
}

std::string FieldReader::id_text(std::string_view key) const {
  const json* value = field(key);
  if (!value) return {};
  if (!value->is_string()) {
    fail(key, Reason::wrong_type, "expected an id string, got " + std::string(type_of(*value)));
    return {};
  }
  const auto& text = value->get_ref<const std::string&>();
  if (!is_valid_id(text)) {
    fail(key, Reason::bad_id, "expected an id matching [A-Za-z0-9_.-]{1,64}, got " + describe(*value));
    return {};
  }
  return text;
}

void FieldReader::version(std::string_view key, std::int64_t expected) const {
  const json* value = field(key);
  if (!value) return;
  if (!value->is_number_integer()) {
    fail(key, Reason::wrong_type, "expected an integer, got " + std::string(type_of(*value)) + " " + describe(*value));
    return;
  }
  // Compared as unsigned when nlohmann stored it so: a literal above INT64_MAX is just another wrong version.
  const bool same = value->is_number_unsigned()
                        ? expected >= 0 && value->get<std::uint64_t>() == static_cast<std::uint64_t>(expected)
                        : value->get<std::int64_t>() == expected;
  if (!same) {
    fail(key, Reason::unsupported_version,
         "protocol version " + describe(*value) + " is not supported (this receiver speaks v" +
             std::to_string(expected) + ")");
  }
}

std::int64_t FieldReader::integer(std::string_view key, std::int64_t min, std::int64_t max) const {
  const json* value = field(key);
  if (!value) return min;
  if (!value->is_number_integer()) {
    fail(key, Reason::wrong_type, "expected an integer, got " + std::string(type_of(*value)) + " " + describe(*value));
    return min;
  }
  // nlohmann stores every non-negative literal as unsigned, which may exceed int64.
  const bool fits = value->is_number_unsigned()
                        ? value->get<std::uint64_t>() <= static_cast<std::uint64_t>(max) &&
                              static_cast<std::int64_t>(value->get<std::uint64_t>()) >= min
                        : value->get<std::int64_t>() >= min && value->get<std::int64_t>() <= max;
  if (!fits) {
    fail(key, Reason::out_of_range,
         describe(*value) + " is outside [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return min;
  }
  return value->get<std::int64_t>();
}

std::uint64_t FieldReader::unsigned_integer(std::string_view key, std::uint64_t min, std::uint64_t max) const {
  const json* value = field(key);
  if (!value) return min;
  if (!value->is_number_integer()) {
    fail(key, Reason::wrong_type, "expected an integer, got " + std::string(type_of(*value)) + " " + describe(*value));
    return min;
  }
  if (!value->is_number_unsigned() || value->get<std::uint64_t>() < min || value->get<std::uint64_t>() > max) {
    fail(key, Reason::out_of_range,
         describe(*value) + " is outside [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return min;
  }
  return value->get<std::uint64_t>();
}

double FieldReader::number(std::string_view key, double min, double max) const {
  const json* value = field(key);
  if (!value) return min;
  if (!value->is_number()) {
    fail(key, Reason::wrong_type, "expected a number, got " + std::string(type_of(*value)));
    return min;
  }
  const auto number = value->get<double>();
  if (!(number >= min && number <= max)) {  // also catches an overflowing literal parsed as infinity
    fail(key, Reason::out_of_range,
         describe(*value) + " is outside [" + describe(json(min)) + ", " + describe(json(max)) + "]");
    return min;
  }
  return number;
}

bool FieldReader::boolean(std::string_view key) const {
  const json* value = field(key);
  if (!value) return false;
  if (!value->is_boolean()) {
    fail(key, Reason::wrong_type, "expected true or false, got " + std::string(type_of(*value)));
    return false;
  }
  return value->get<bool>();
}

std::string FieldReader::text(std::string_view key, std::size_t max_length) const {
  const json* value = field(key);
  if (!value) return {};
  if (!value->is_string()) {
    fail(key, Reason::wrong_type, "expected a string, got " + std::string(type_of(*value)));
    return {};
  }
  const auto& text = value->get_ref<const std::string&>();
  if (text.size() > max_length) {
    fail(key, Reason::out_of_range, "longer than " + std::to_string(max_length) + " bytes");
    return {};
  }
  if (has_control_characters(text)) {
    fail(key, Reason::bad_value, "contains control characters");
    return {};
  }
  return text;
}

std::string FieldReader::string(std::string_view key) const {
  const json* value = field(key);
  if (!value) return {};
  if (!value->is_string()) {
    fail(key, Reason::wrong_type, "expected a string, got " + std::string(type_of(*value)));
    return {};
  }
  return value->get<std::string>();
}

std::optional<Timestamp> FieldReader::timestamp(std::string_view key) const {
  const json* value = field(key);
  if (!value) return std::nullopt;
  if (!value->is_string()) {
    fail(key, Reason::wrong_type, "expected an RFC 3339 UTC timestamp string, got " + std::string(type_of(*value)));
    return std::nullopt;
  }
  auto ts = parse_timestamp(value->get_ref<const std::string&>());
  if (!ts) {
    fail(key, Reason::bad_timestamp,
         "expected an RFC 3339 UTC timestamp like 2026-11-24T09:15:02.120Z, got " + describe(*value));
  }
  return ts;
}

Date FieldReader::date(std::string_view key) const {
  const json* value = field(key);
  if (!value) return {};
  if (!value->is_string()) {
    fail(key, Reason::wrong_type, "expected a date string YYYY-MM-DD, got " + std::string(type_of(*value)));
    return {};
  }
  const auto date = parse_date(value->get_ref<const std::string&>());
  if (!date) {
    fail(key, Reason::bad_timestamp, "expected a calendar date YYYY-MM-DD, got " + describe(*value));
    return {};
  }
  return *date;
}

std::string_view FieldReader::choice(std::string_view key, std::initializer_list<std::string_view> allowed) const {
  const json* value = field(key);
  if (!value) return {};
  if (!value->is_string()) {
    fail(key, Reason::wrong_type, "expected a string, got " + std::string(type_of(*value)));
    return {};
  }
  const auto& text = value->get_ref<const std::string&>();
  for (const auto option : allowed) {
    if (option == text) return option;
  }
  std::string list;
  for (const auto option : allowed) {
    list += list.empty() ? "" : ", ";
    list += option;
  }
  fail(key, Reason::bad_value, describe(*value) + " is not one of: " + list);
  return {};
}

FieldReader FieldReader::object(std::string_view key) const {
  const json* value = field(key);
  if (value && !value->is_object()) {
    fail(key, Reason::wrong_type, "expected an object, got " + std::string(type_of(*value)));
  }
  static const json empty_object = json::object();
  return FieldReader(value && value->is_object() ? *value : empty_object, path_of(key), *sink_);
}

const json& FieldReader::array(std::string_view key, std::size_t max_items) const {
  const json* value = field(key);
  if (!value) return empty_value();
  if (!value->is_array()) {
    fail(key, Reason::wrong_type, "expected an array, got " + std::string(type_of(*value)));
    return empty_value();
  }
  if (value->size() > max_items) {
    fail(key, Reason::too_many_items,
         std::to_string(value->size()) + " items, at most " + std::to_string(max_items) + " allowed");
    return empty_value();
  }
  return *value;
}

void FieldReader::forbid(std::string_view key, std::string_view why) const {
  if (ok() && has(key)) fail(key, Reason::field_not_allowed, std::string(why));
}

}  // namespace sterifleet::protocol::detail
