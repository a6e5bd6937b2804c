#include "params.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/parse_path.hpp>
#include <boost/url/pct_string_view.hpp>
#include <cctype>
#include <charconv>

#include "errors.hpp"
#include "sterifleet/protocol/ids.hpp"

namespace sterifleet::http {

namespace {

constexpr std::string_view timestamp_hint = "expected an RFC 3339 UTC timestamp like 2026-11-24T09:15:02Z";
constexpr std::string_view id_hint = "must be 1 to 64 letters, digits, '_', '.' or '-'";

std::string describe(std::string_view value) {
  return value.size() > 80 ? std::string(value.substr(0, 80)) + "..." : std::string(value);
}

namespace urls = boost::urls;

// The grammar says only that the target is not origin-form; a client needs to know which part to fix.
[[noreturn]] void malformed(std::string_view target) {
  const auto question = target.find('?');
  const auto path = target.substr(0, question);
  const bool path_at_fault = question == std::string_view::npos || !urls::parse_path(path);
  const auto part = path_at_fault ? path : target.substr(question + 1);
  const std::string where = path_at_fault ? "the path" : "the query string";
  throw ApiError(ErrorCode::bad_request,
                 where + (urls::make_pct_string_view(part) ? " has a character that must be %-escaped"
                                                           : " has a malformed %-escape"));
}

// A decoded NUL would end a C string early somewhere downstream (SQLite, a file name).
bool has_nul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

}  // namespace

Target Target::parse(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    throw ApiError(ErrorCode::bad_request, "the request target must be an absolute path");
  }
  const auto url = urls::parse_origin_form(target);
  if (!url) malformed(target);
  Target out;
  out.path = url->encoded_path();
  for (auto segment : url->segments()) {
    if (has_nul(segment)) throw ApiError(ErrorCode::bad_request, "the path has a malformed %-escape");
    out.segments.push_back(std::move(segment));
  }
  // "/" is one empty segment, what the router and the dashboard take for the root; "/api/v1/devices/"
  // names the same resource as "/api/v1/devices".
  if (out.segments.empty()) out.segments.emplace_back();
  if (out.segments.size() > 1 && out.segments.back().empty()) out.segments.pop_back();
  out.query = Query(url->params());
  return out;
}

Query::Query(const boost::urls::params_view& params) {
  for (const auto& param : params) {
    if (param.key.empty() && !param.has_value) continue;  // "a=1&&b=2", or a bare "?"
    if (has_nul(param.key) || has_nul(param.value)) {
      throw ApiError(ErrorCode::bad_request, "the query string has a malformed %-escape");
    }
    const bool repeated =
        std::any_of(items_.begin(), items_.end(), [&](const auto& existing) { return existing.first == param.key; });
    if (repeated) bad_param(param.key, "given more than once");
    items_.emplace_back(param.key, param.value);
  }
}

void Query::expect(std::initializer_list<std::string_view> known) const {
  for (const auto& [name, value] : items_) {
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    const std::vector<std::string_view> names(known);
    bad_param(describe(name), names.empty() ? "unknown parameter; this endpoint takes none"
                                            : "unknown parameter; expected one of " + join(names));
  }
}

std::optional<std::string> Query::text(std::string_view name) const {
  for (const auto& [key, value] : items_) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::optional<std::string> Query::id(std::string_view name) const {
  auto value = text(name);
  if (value && !protocol::is_valid_id(*value)) bad_param(name, id_hint);
  return value;
}

std::optional<std::string> Query::one_of(std::string_view name, const std::vector<std::string_view>& values) const {
  auto value = text(name);
  if (value && std::find(values.begin(), values.end(), *value) == values.end()) {
    bad_param(name, "must be one of " + join(values));
  }
  return value;
}

std::optional<Timestamp> Query::time(std::string_view name) const {
  const auto value = text(name);
  if (!value) return std::nullopt;
  const auto parsed = protocol::parse_timestamp(*value);
  if (!parsed) bad_param(name, timestamp_hint);
  return parsed;
}

TimeRange Query::range() const {
  TimeRange out{time("from"), time("to")};
  if (out.from && out.to && *out.to <= *out.from) bad_param("to", "must be later than from");
  return out;
}

std::optional<std::int64_t> Query::integer(std::string_view name, std::int64_t min, std::int64_t max) const {
  const auto value = text(name);
  if (!value) return std::nullopt;
  std::int64_t parsed = 0;
  const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), parsed);
  if (value->empty() || error != std::errc{} || end != value->data() + value->size() || parsed < min || parsed > max) {
    bad_param(name, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return parsed;
}

std::size_t Query::limit(std::size_t fallback) const {
  return static_cast<std::size_t>(integer("limit", 1, max_page).value_or(static_cast<std::int64_t>(fallback)));
}

std::string Query::cursor() const {
  auto value = text("after").value_or("");
  // Cursors are short and URL-safe; anything else cannot be one of ours.
  const bool plausible = value.size() <= 1024 && std::all_of(value.begin(), value.end(), [](char c) {
                           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
                         });
  if (!plausible) bad_param("after", "not a cursor from a previous page's \"next\"");
  return value;
}

JsonBody::JsonBody(std::string_view text) {
  value_ = nlohmann::json::parse(text, nullptr, false);
  if (value_.is_discarded()) throw ApiError(ErrorCode::bad_request, "body: not valid JSON");
  if (!value_.is_object()) throw ApiError(ErrorCode::bad_request, "body: expected a JSON object");
}

void JsonBody::expect(std::initializer_list<std::string_view> known) const {
  for (const auto& [name, value] : value_.items()) {
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    bad_param(describe(name), "unknown field; expected " + join(std::vector<std::string_view>(known)));
  }
}

std::string JsonBody::optional_text(std::string_view name, std::size_t max_length) const {
  const auto it = value_.find(name);
  if (it == value_.end() || it->is_null()) return {};
  if (!it->is_string() || it->get_ref<const std::string&>().size() > max_length) {
    bad_param(name, "must be a string of at most " + std::to_string(max_length) + " characters");
  }
  return it->get<std::string>();
}

std::string JsonBody::required_text(std::string_view name, std::size_t max_length) const {
  if (!value_.contains(name)) bad_param(name, "required");
  auto value = optional_text(name, max_length);
  if (value.empty()) bad_param(name, "must not be empty");
  return value;
}

Timestamp JsonBody::required_time(std::string_view name) const {
  const auto it = value_.find(name);
  if (it == value_.end()) bad_param(name, "required");
  const auto parsed = it->is_string() ? protocol::parse_timestamp(it->get<std::string>()) : std::nullopt;
  if (!parsed) bad_param(name, timestamp_hint);
  return *parsed;
}

std::string join(const std::vector<std::string_view>& values, std::string_view separator) {
  std::string out;
  for (const auto value : values) {
    if (!out.empty()) out += separator;
    out += value;
  }
  return out;
}

}  // namespace sterifleet::http
