#include "router.hpp"

#include <spdlog/spdlog.h>

namespace sterifleet::http {

namespace {

std::vector<std::string> split_pattern(const std::string& pattern) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= pattern.size()) {
    const auto slash = pattern.find('/', start);
    out.push_back(pattern.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

bool is_param(const std::string& segment) { return segment.size() > 2 && segment.front() == '{'; }

bool matches(const Route& route, const std::vector<std::string>& segments, std::vector<std::string>& params) {
  if (route.segments.size() != segments.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (is_param(route.segments[i])) {
      if (segments[i].empty()) return false;
      params.push_back(segments[i]);
    } else if (route.segments[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

// The one place an engine refusal becomes an API error. Every code is listed, so a new one does not
// compile until it is mapped here.
ErrorCode error_code(engine::RefusalCode code) {
  switch (code) {
    case engine::RefusalCode::bad_request:
      return ErrorCode::bad_request;
    case engine::RefusalCode::not_found:
      return ErrorCode::not_found;
    case engine::RefusalCode::conflict:
    case engine::RefusalCode::duplicate:
    case engine::RefusalCode::seq_conflict:
    case engine::RefusalCode::sequence_regression:
    case engine::RefusalCode::wrong_device_kind:
    case engine::RefusalCode::duplicate_cycle:
    case engine::RefusalCode::clinic_mismatch:
      return ErrorCode::conflict;
  }
  return ErrorCode::internal;
}

}  // namespace

Timestamp Context::now() const {
  if (options.clock) return options.clock();
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

Response Context::write(const std::function<fleet::Outcome()>& action, const std::function<nlohmann::json()>& result,
                        boost::beast::http::status status) const {
  fleet::Outcome outcome;
  try {
    outcome = action();
  } catch (const store::StoreError& e) {
    // The engine has applied what the store could not keep: only a restart from the journal is right.
    const std::string why = std::string("storing an API write failed: ") + e.what();
    if (options.fatal) options.fatal(why);
    spdlog::critical("{}", why);
    return error_response(ErrorCode::internal, "the store failed to keep the change");
  }
  if (!outcome.ok()) return error_response(error_code(outcome.refusal->code), outcome.refusal->message);
  return json_response(status, result());
}

void Router::add(boost::beast::http::verb method, std::string pattern, std::optional<Permission> permission,
                 Handler handler, Reach reach) {
  auto segments = split_pattern(pattern);
  routes_.push_back({method, std::move(pattern), std::move(segments), permission, std::move(handler), reach});
}

void Call::require_visible(std::string_view clinic, const std::string& not_found) const {
  if (!principal->clinics.covers(clinic)) throw ApiError(ErrorCode::not_found, not_found);
}

void Call::require_visible_row(const nlohmann::json& row, const std::string& not_found) const {
  const auto clinic = row.find("clinic");
  const bool named = clinic != row.end() && clinic->is_string();
  require_visible(named ? std::string_view(clinic->get_ref<const std::string&>()) : std::string_view(), not_found);
}

Router::Found Router::find(boost::beast::http::verb method, const std::vector<std::string>& segments) const {
  Found found;
  std::vector<std::string> params;
  for (const auto& route : routes_) {
    if (!matches(route, segments, params)) continue;
    found.allowed.push_back(route.method);
    if (route.method == method && !found.route) {
      found.route = &route;
      found.params = params;
    }
  }
  return found;
}

nlohmann::json page_json(store::Rows rows) {
  return {{"items", std::move(rows.rows)},
          {"next", rows.next.empty() ? nlohmann::json(nullptr) : nlohmann::json(rows.next)}};
}

}  // namespace sterifleet::http
