// A session's or cycle's row as the store keeps it (compact JSON text, Store::scan_sessions), read
// without building an nlohmann::json: one pass of simdjson's On-Demand parser finds where each member's
// value lies, and values are decoded only when asked for. A year's export reads a million rows; a parsed
// json costs an allocation per member, and that was most of the export's time.
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sterifleet::report {

class StoredRow {
 public:
  /// Throws store::StoreError when `text` is not a JSON object. Keeps views into `text`.
  explicit StoredRow(std::string_view text);

  /// The row as stored: compact JSON with sorted keys, what nlohmann::json::dump() writes for it.
  std::string_view text() const { return text_; }
  /// A member's value as JSON text ("\"PEN-1\"", "1.5", "null", "[...]"); none when absent.
  std::optional<std::string_view> member(std::string_view key) const;
  /// A member that is an object; none when absent or not an object.
  std::optional<StoredRow> object(std::string_view key) const;
  /// The elements of a member that is an array, each as JSON text; none when absent or not an array.
  std::vector<std::string_view> elements(std::string_view key) const;
  /// A member that is a string, unescaped; `fallback` when absent or not a string.
  std::string string(std::string_view key, std::string_view fallback = {}) const;
  /// A member that is a boolean; `fallback` when absent or not a boolean.
  bool boolean(std::string_view key, bool fallback) const;
  /// The whole row parsed, for the writers that lay out few rows (PDF) or keep some (recalls).
  nlohmann::json json() const;

 private:
  using Member = std::pair<std::string_view, std::string_view>;  ///< key (as written), value text
  void add(Member member) {
    if (size_ < kInline) {
      inline_[size_++] = member;
    } else {
      more_.push_back(member);
    }
  }

  // Rows have two dozen members at most: kept inline, so reading one allocates nothing.
  static constexpr std::size_t kInline = 32;
  std::string_view text_;
  std::array<Member, kInline> inline_;
  std::size_t size_ = 0;
  std::vector<Member> more_;
};

/// The value of a JSON string given as its text, quotes included.
std::string json_string(std::string_view text);

}  // namespace sterifleet::report
