#include "json_value.hpp"

namespace sterifleet::protocol::detail {

namespace {

using json = nlohmann::json;

}  // namespace

// Error messages quote at most this much of an offending value, cut on a UTF-8 character boundary so
// that the message itself stays valid text.
std::string shortened(std::string text) {
  constexpr std::size_t limit = 48;
  if (text.size() > limit) {
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    text += "...";
  }
  return text;
}

JsonKind NlohmannValue::kind() const {
  switch (value_->type()) {
    case json::value_t::boolean:
      return JsonKind::boolean;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return JsonKind::integer;
    case json::value_t::number_float:
      return JsonKind::floating;
    case json::value_t::string:
      return JsonKind::string;
    case json::value_t::array:
      return JsonKind::array;
    case json::value_t::object:
      return JsonKind::object;
    default:
      return JsonKind::null;  // parse_checked builds no binary or discarded values
  }
}

std::optional<NlohmannValue> NlohmannValue::find(std::string_view key) const {
  const auto it = value_->find(key);
  if (it == value_->end()) return std::nullopt;
  return NlohmannValue(*it);
}

// nlohmann stores every non-negative literal as unsigned, which may exceed int64.
std::optional<std::int64_t> NlohmannValue::int64() const {
  if (value_->is_number_unsigned()) {
    const auto value = value_->get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(value);
  }
  return value_->get<std::int64_t>();
}

std::optional<std::uint64_t> NlohmannValue::uint64() const {
  if (!value_->is_number_unsigned()) return std::nullopt;
  return value_->get<std::uint64_t>();
}

std::string NlohmannValue::describe() const {
  return shortened(value_->dump(-1, ' ', false, json::error_handler_t::replace));
}

JsonKind SimdValue::kind() const {
  switch (value_.type()) {
    case simdjson::dom::element_type::BOOL:
      return JsonKind::boolean;
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
      return JsonKind::integer;
    case simdjson::dom::element_type::DOUBLE:
      return JsonKind::floating;
    case simdjson::dom::element_type::STRING:
      return JsonKind::string;
    case simdjson::dom::element_type::ARRAY:
      return JsonKind::array;
    case simdjson::dom::element_type::OBJECT:
      return JsonKind::object;
    default:
      return JsonKind::null;
  }
}

std::optional<SimdValue> SimdValue::find(std::string_view key) const {
  simdjson::dom::element found;
  const simdjson::dom::object object(value_);
  if (object.at_key(key).get(found) != simdjson::SUCCESS) return std::nullopt;
  return SimdValue(found);
}

double SimdValue::number() const {
  switch (value_.type()) {
    case simdjson::dom::element_type::INT64:
      return static_cast<double>(value_.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64:
      return static_cast<double>(value_.get_uint64().value_unsafe());
    default:
      return value_.get_double().value_unsafe();
  }
}

// simdjson keeps an integer as int64 when it fits and as uint64 only above INT64_MAX.
std::optional<std::int64_t> SimdValue::int64() const {
  if (value_.type() != simdjson::dom::element_type::INT64) return std::nullopt;
  return value_.get_int64().value_unsafe();
}

std::optional<std::uint64_t> SimdValue::uint64() const {
  if (value_.type() == simdjson::dom::element_type::UINT64) return value_.get_uint64().value_unsafe();
  const auto value = value_.get_int64().value_unsafe();
  if (value < 0) return std::nullopt;
  return static_cast<std::uint64_t>(value);
}

std::string SimdValue::describe() const { return shortened(simdjson::to_string(value_)); }

}  // namespace sterifleet::protocol::detail
