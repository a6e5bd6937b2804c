#include "cursor.hpp"

#include <charconv>

#include "sterifleet/crypto/hex.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::store::detail {

namespace {

[[noreturn]] void bad(std::string_view cursor) {
  throw BadCursor("not a cursor this store wrote: \"" + std::string(cursor.substr(0, 80)) + "\"");
}

}  // namespace

std::string encode_cursor(std::int64_t number, std::initializer_list<std::string_view> texts) {
  std::string out = std::to_string(number);
  for (const auto text : texts) {
    out.push_back('.');
    crypto::append_hex(out, text);
  }
  return out;
}

CursorKey decode_cursor(std::string_view cursor, std::size_t texts) {
  CursorKey key;
  const auto dot = cursor.find('.');
  const auto number = cursor.substr(0, dot);
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), key.number);
  if (number.empty() || error != std::errc{} || end != number.data() + number.size()) bad(cursor);
  auto rest = dot == std::string_view::npos ? std::string_view{} : cursor.substr(dot + 1);
  if (dot != std::string_view::npos) {
    while (true) {
      const auto next = rest.find('.');
      const auto field = rest.substr(0, next);
      auto text = crypto::from_hex(field);
      if (!text) bad(cursor);
      key.texts.push_back(std::move(*text));
      if (next == std::string_view::npos) break;
      rest = rest.substr(next + 1);
    }
  }
  if (key.texts.size() != texts) bad(cursor);
  return key;
}

std::size_t page_limit(std::size_t requested) {
  if (requested == 0) return 1;
  return requested > max_page_limit ? max_page_limit : requested;
}

}  // namespace sterifleet::store::detail
