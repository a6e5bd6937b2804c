// Keyset-pagination cursors shared by the back-ends: the sort key of a page's last row, written as
// an opaque, URL-safe string ("<integer>.<hex>.<hex>") so no id needs escaping in a query string.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace sterifleet::store::detail {

struct CursorKey {
  std::int64_t number = 0;         ///< a time in milliseconds or a row number
  std::vector<std::string> texts;  ///< ids that break ties
};

std::string encode_cursor(std::int64_t number, std::initializer_list<std::string_view> texts = {});

/// Throws BadCursor unless `cursor` holds a number and exactly `texts` strings.
CursorKey decode_cursor(std::string_view cursor, std::size_t texts);

/// Clamps a page size to [1, max_page_limit].
std::size_t page_limit(std::size_t requested);

}  // namespace sterifleet::store::detail
