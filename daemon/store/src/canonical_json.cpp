#include "sterifleet/store/canonical_json.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace sterifleet::store {

namespace {

using nlohmann::json;

// Where a refused value lies is put together as the refusal unwinds: a valid value builds no paths.
struct Refusal {
  std::string where;  ///< "/after/list/1"
  std::string what;
};

[[noreturn]] void refuse(std::string what) { throw Refusal{{}, std::move(what)}; }

bool needs_escape(char c) { return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\'; }

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  // Runs that need no escaping (nearly all of it) are copied whole.
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!needs_escape(c)) continue;
    out.append(text.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(hex[static_cast<unsigned char>(c) >> 4]);
        out.push_back(hex[c & 0xF]);
    }
  }
  out.append(text.data() + start, text.size() - start);
  out.push_back('"');
}

namespace {

void append_string(std::string& out, std::string_view text) {
  if (!simdjson::validate_utf8(text.data(), text.size())) refuse("invalid UTF-8");
  append_json_escaped(out, text);
}

// ECMAScript's Number::toString(x) (ECMA-262, 6.1.6.1.20) from the shortest digits that read back as x.
void append_double(std::string& out, double value) {
  if (!std::isfinite(value)) refuse("NaN and infinities are not JSON");
  if (value == 0) {
    out.push_back('0');  // -0 too
    return;
  }
  if (value < 0) {
    out.push_back('-');
    value = -value;
  }
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
  const auto e = text.find('e');
  std::string digits(text.substr(0, e));
  std::erase(digits, '.');
  int exponent = 0;
  const auto exponent_text = text.substr(e + (text[e + 1] == '+' ? 2 : 1));
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;  // the decimal point sits after the first n digits
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<std::size_t>(n));
    out.push_back('.');
    out.append(digits, static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    out.push_back('e');
    out.push_back(n - 1 < 0 ? '-' : '+');
    out += std::to_string(std::abs(n - 1));
  }
}

std::u16string utf16(std::string_view utf8) {
  std::u16string out;
  for (std::size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    const std::size_t length = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t code = length == 1 ? c : length == 2 ? (c & 0x1Fu) : length == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (std::size_t j = 1; j < length; ++j) code = (code << 6) | (static_cast<unsigned char>(utf8[i + j]) & 0x3Fu);
    if (code >= 0x10000) {
      out.push_back(static_cast<char16_t>(0xD800 + ((code - 0x10000) >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + ((code - 0x10000) & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(code));
    }
    i += length;
  }
  return out;
}

void append_value(std::string& out, const json& value);

void append_object(std::string& out, const json& object) {
  // nlohmann keeps members in byte order, which is code point order: the same as UTF-16 order unless a
  // key holds a character beyond U+FFFF (four UTF-8 bytes), whose surrogates sort below U+E000.
  std::vector<json::const_iterator> members;
  members.reserve(object.size());
  bool supplementary = false;
  for (auto it = object.begin(); it != object.end(); ++it) {
    const auto& key = it.key();
    if (!simdjson::validate_utf8(key.data(), key.size())) refuse("a key with invalid UTF-8");
    supplementary = supplementary ||
                    std::any_of(key.begin(), key.end(), [](char c) { return static_cast<unsigned char>(c) >= 0xF0; });
    members.push_back(it);
  }
  if (supplementary) {
    std::stable_sort(members.begin(), members.end(),
                     [](const auto& a, const auto& b) { return utf16(a.key()) < utf16(b.key()); });
  }
  out.push_back('{');
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_json_escaped(out, members[i].key());
    out.push_back(':');
    try {
      append_value(out, members[i].value());
    } catch (Refusal& refusal) {
      refusal.where.insert(0, "/" + members[i].key());
      throw;
    }
  }
  out.push_back('}');
}

void append_value(std::string& out, const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      out += "null";
      return;
    case json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_integer:
      out += std::to_string(value.get<std::int64_t>());
      return;
    case json::value_t::number_unsigned:
      out += std::to_string(value.get<std::uint64_t>());
      return;
    case json::value_t::number_float:
      append_double(out, value.get<double>());
      return;
    case json::value_t::string:
      append_string(out, value.get_ref<const std::string&>());
      return;
    case json::value_t::array:
      out.push_back('[');
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (i > 0) out.push_back(',');
        try {
          append_value(out, value[i]);
        } catch (Refusal& refusal) {
          refusal.where.insert(0, "/" + std::to_string(i));
          throw;
        }
      }
      out.push_back(']');
      return;
    case json::value_t::object:
      append_object(out, value);
      return;
    case json::value_t::binary:
    case json::value_t::discarded:
      refuse("binary and discarded values are not JSON");
  }
}

}  // namespace

void append_canonical_json(std::string& out, const json& value) {
  try {
    append_value(out, value);
  } catch (const Refusal& refusal) {
    throw CanonicalJsonError(refusal.where.empty() ? refusal.what : refusal.where + ": " + refusal.what);
  }
}

std::string canonical_json(const json& value) {
  std::string out;
  append_canonical_json(out, value);
  return out;
}

}  // namespace sterifleet::store
