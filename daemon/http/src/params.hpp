// Everything a request says, checked: the path split into decoded segments, query parameters with
// typed getters, and JSON bodies. Every failure is a 400 whose message names the parameter.
#pragma once

#include <boost/url/params_view.hpp>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sterifleet/protocol/time.hpp"

namespace sterifleet::http {

using protocol::Timestamp;

struct TimeRange {
  std::optional<Timestamp> from;
  std::optional<Timestamp> to;
};

class Query {
 public:
  Query() = default;
  /// Decoded ("+" is a space); a parameter given twice or holding a NUL byte is a 400.
  explicit Query(const boost::urls::params_view& params);

  /// A parameter not in `known` is a 400: a misspelt filter must not silently widen a query.
  void expect(std::initializer_list<std::string_view> known) const;
  std::optional<std::string> text(std::string_view name) const;
  /// A protocol id ([A-Za-z0-9_.-]{1,64}).
  std::optional<std::string> id(std::string_view name) const;
  std::optional<std::string> one_of(std::string_view name, const std::vector<std::string_view>& values) const;
  std::optional<Timestamp> time(std::string_view name) const;
  /// `from` and `to`, with to later than from.
  TimeRange range() const;
  /// 1..1000, default `fallback`.
  std::size_t limit(std::size_t fallback = 100) const;
  /// The page cursor ("after"): opaque, from a previous page's "next".
  std::string cursor() const;
  std::optional<std::int64_t> integer(std::string_view name, std::int64_t min, std::int64_t max) const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

inline constexpr std::size_t max_page = 1000;

/// A request target (RFC 9112 origin-form): decoded path segments and the query's parameters. Throws
/// ApiError for anything else, naming the part at fault.
struct Target {
  std::string path;                   ///< the path as sent, without the query
  std::vector<std::string> segments;  ///< "/api/v1/devices/P%2D1" -> {"api","v1","devices","P-1"}
  Query query;
  static Target parse(std::string_view target);
};

/// The JSON object of a request body, with field getters that name the field in their errors.
class JsonBody {
 public:
  explicit JsonBody(std::string_view text);
  const nlohmann::json& json() const { return value_; }
  /// Fields other than these are a 400 (a typo must not be silently ignored).
  void expect(std::initializer_list<std::string_view> known) const;
  std::string required_text(std::string_view name, std::size_t max_length = 1000) const;
  std::string optional_text(std::string_view name, std::size_t max_length = 1000) const;
  Timestamp required_time(std::string_view name) const;

 private:
  nlohmann::json value_;
};

std::string join(const std::vector<std::string_view>& values, std::string_view separator = ", ");

}  // namespace sterifleet::http
