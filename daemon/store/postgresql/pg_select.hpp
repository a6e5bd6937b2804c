// Helpers of the PostgreSQL store's read side: a SELECT built from the filters a query was given, run as
// a page (keyset pagination) or streamed through a server-side cursor, and the conversions of columns
// into JSON row fields.
#pragma once

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "sterifleet/store/store.hpp"

namespace sterifleet::store::postgresql::columns {

/// Times are stored as bigint milliseconds since the Unix epoch.
inline std::int64_t millis(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp from_millis(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

inline std::string_view view(const pqxx::field& f) { return {f.c_str(), f.size()}; }
inline std::int64_t int64(const pqxx::field& f) { return f.as<std::int64_t>(); }

inline std::string time_text(const pqxx::field& f) { return protocol::format_timestamp(from_millis(int64(f))); }
inline nlohmann::json time_or_null(const pqxx::field& f) {
  return f.is_null() ? nlohmann::json(nullptr) : nlohmann::json(time_text(f));
}
inline nlohmann::json text_or_null(const pqxx::field& f) {
  return f.is_null() ? nlohmann::json(nullptr) : nlohmann::json(view(f));
}
inline nlohmann::json int_or_null(const pqxx::field& f) {
  return f.is_null() ? nlohmann::json(nullptr) : nlohmann::json(int64(f));
}
/// A stored JSON row, parsed as the SQLite back-end parses it (text that does not parse is a discarded
/// value, not an exception: one damaged row does not hide a page).
inline nlohmann::json parse_row(std::string_view text) {
  return nlohmann::json::parse(text.data(), text.data() + text.size(), nullptr, false);
}
/// A parameter that is NULL when absent (libpqxx 6.4 sends a null pointer as NULL).
inline const char* or_null(const std::optional<std::string>& value) { return value ? value->c_str() : nullptr; }

}  // namespace sterifleet::store::postgresql::columns

namespace sterifleet::store::postgresql {

/// A SELECT whose WHERE clause grows with the filters given. Each `?` of a condition becomes the next
/// parameter ($1, $2, ...); values go as text and take the type of what they are compared with.
class Select {
 public:
  /// Rows a scan fetches from its cursor at a time: few round trips, bounded memory.
  static constexpr std::size_t kScanFetchRows = 2000;

  explicit Select(std::string head) : sql_(std::move(head)) {}

  Select& where(std::string_view condition, std::vector<std::string> values) {
    sql_ += conditions_++ == 0 ? " WHERE " : " AND ";
    for (const char c : condition) {
      if (c == '?') {
        sql_ += '$' + std::to_string(++parameters_);
      } else {
        sql_ += c;
      }
    }
    for (auto& v : values) values_.push_back(std::move(v));
    return *this;
  }
  Select& where_if(const std::optional<std::string>& value, std::string_view condition) {
    return value ? where(condition, {*value}) : *this;
  }
  Select& where_if(const std::optional<Timestamp>& value, std::string_view condition) {
    return value ? where(condition, {std::to_string(columns::millis(*value))}) : *this;
  }
  /// Rows of `column` in the scope: a NULL clinic is in no limited scope (NULL IN (...) is not true).
  Select& where_in(const ClinicScope& scope, std::string_view column) {
    if (scope.all()) return *this;
    return where(std::string(column) + " IN (SELECT json_array_elements_text(?::json))", {scope.to_json().dump()});
  }

  /// Runs with `rest` (an ORDER BY, a GROUP BY, ...) after the conditions.
  pqxx::result run(pqxx::transaction_base& tx, std::string_view rest) const {
    return tx.exec_params(sql_ + " " + std::string(rest), pqxx::prepare::make_dynamic_params(values_));
  }

  /// Runs with `ORDER BY order LIMIT limit + 1`: the extra row says whether there is a next page.
  template <class MakeRow, class MakeCursor>
  Rows page(pqxx::transaction_base& tx, std::string_view order, std::size_t limit, MakeRow make_row,
            MakeCursor make_cursor) const {
    const auto result =
        tx.exec_params(sql_ + " ORDER BY " + std::string(order) + " LIMIT $" + std::to_string(parameters_ + 1),
                       pqxx::prepare::make_dynamic_params(values_), std::to_string(limit + 1));
    Rows out;
    const auto shown = std::min<std::size_t>(result.size(), limit);
    out.rows.reserve(shown);
    for (std::size_t i = 0; i < shown; ++i) out.rows.push_back(make_row(result[i]));
    if (result.size() > limit) out.next = make_cursor(result[limit - 1]);
    return out;
  }

  /// Runs with `ORDER BY order` through a cursor of `tx`, handing `visit` each row kScanFetchRows at a
  /// time: one statement in one transaction, so the rows are one consistent view however many there are.
  /// A scan that `visit` ends by throwing leaves its cursor to die with the transaction.
  template <class Visit>
  void scan(pqxx::transaction_base& tx, std::string_view order, Visit visit) const {
    const auto cursor = "sterifleet_scan_" + std::to_string(++scans_);
    tx.exec_params("DECLARE " + cursor + " NO SCROLL CURSOR FOR " + sql_ + " ORDER BY " + std::string(order),
                   pqxx::prepare::make_dynamic_params(values_));
    const auto fetch = "FETCH FORWARD " + std::to_string(kScanFetchRows) + " FROM " + cursor;
    for (bool more = true; more;) {
      const auto rows = tx.exec(fetch);
      for (const auto& row : rows) visit(row);
      more = rows.size() == kScanFetchRows;
    }
    tx.exec("CLOSE " + cursor);
  }

 private:
  /// Numbers the cursors, so that two scans in one session never share a name.
  static inline std::atomic<std::uint64_t> scans_{0};

  std::string sql_;
  int conditions_ = 0;
  int parameters_ = 0;
  std::vector<std::string> values_;
};

}  // namespace sterifleet::store::postgresql
