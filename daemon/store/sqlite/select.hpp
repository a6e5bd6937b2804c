// Helpers of the SQLite store's read side: a SELECT built from the filters a query was given, with
// keyset pagination, and the conversions of columns into JSON row fields.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "connection.hpp"
#include "sqlite_store.hpp"

namespace sterifleet::store::sqlite {

inline nlohmann::json parse_row(std::string_view text) {
  return nlohmann::json::parse(text.data(), text.data() + text.size(), nullptr, false);
}

inline nlohmann::json time_or_null(const Statement& s, int column) {
  return s.is_null(column) ? nlohmann::json(nullptr)
                           : nlohmann::json(protocol::format_timestamp(from_millis(s.int64(column))));
}

inline std::string time_text(const Statement& s, int column) {
  return protocol::format_timestamp(from_millis(s.int64(column)));
}

/// A SELECT whose WHERE clause grows with the filters given; parameters are bound when it runs, so
/// the text is the same for the same set of filters and its prepared statement is reused.
class Select {
 public:
  using Value = std::variant<std::int64_t, std::string>;

  explicit Select(std::string head) : sql_(std::move(head)) {}

  Select& where(std::string_view condition, std::vector<Value> values) {
    sql_ += conditions_++ == 0 ? " WHERE " : " AND ";
    sql_ += condition;
    for (auto& v : values) values_.push_back(std::move(v));
    return *this;
  }
  Select& where_if(const std::optional<std::string>& value, std::string_view condition) {
    return value ? where(condition, {*value}) : *this;
  }
  Select& where_if(const std::optional<Timestamp>& value, std::string_view condition) {
    return value ? where(condition, {millis(*value)}) : *this;
  }
  /// Rows of `column` in the scope: a NULL clinic is in no limited scope (NULL IN (...) is not true).
  Select& where_in(const ClinicScope& scope, std::string_view column) {
    if (scope.all()) return *this;
    return where(std::string(column) + " IN (SELECT value FROM json_each(?))", {scope.to_json().dump()});
  }

  /// Runs with `ORDER BY order`, handing `visit` each row as it is stepped to: one statement, hence one
  /// read transaction, however many rows.
  template <class Visit>
  void each(Connection& db, std::string_view order, Visit visit) {
    auto& s = db.cached(sql_ + " ORDER BY " + std::string(order));
    Reset reset(s);
    bind(s);
    while (s.step()) visit(s);
  }

  /// Runs with `ORDER BY order LIMIT limit + 1`: the extra row says whether there is a next page.
  template <class MakeRow, class MakeCursor>
  Rows page(Connection& db, std::string_view order, std::size_t limit, MakeRow make_row, MakeCursor make_cursor) {
    auto& s = db.cached(sql_ + " ORDER BY " + std::string(order) + " LIMIT ?");
    Reset reset(s);
    bind(s);
    s.bind(static_cast<int>(values_.size()) + 1, static_cast<std::int64_t>(limit + 1));
    Rows out;
    std::string cursor;
    while (s.step()) {
      if (out.rows.size() == limit) {
        out.next = std::move(cursor);
        break;
      }
      out.rows.push_back(make_row(s));
      cursor = make_cursor(s);
    }
    return out;
  }

 private:
  void bind(Statement& s) const {
    int index = 0;
    for (const auto& value : values_) {
      ++index;
      if (const auto* number = std::get_if<std::int64_t>(&value)) {
        s.bind(index, *number);
      } else {
        s.bind(index, std::get<std::string>(value));
      }
    }
  }

  std::string sql_;
  int conditions_ = 0;
  std::vector<Value> values_;
};

}  // namespace sterifleet::store::sqlite
