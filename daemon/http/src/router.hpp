// The route table: method + path pattern -> handler and the permission it needs. Handlers are plain
// functions of a Call (request, principal, parameters, the daemon's services): no sockets, no threads.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "errors.hpp"
#include "params.hpp"
#include "sterifleet/http/api.hpp"
#include "sterifleet/report/format.hpp"

namespace sterifleet::http {

/// What every handler may use. Immutable after construction, so handlers may run on any thread.
struct Context {
  Services services;
  HttpOptions options;
  Authenticator authenticator;

  Timestamp now() const;
  /// Runs a write through the Fleet: a refusal becomes its 4xx, a storage failure is fatal.
  Response write(const std::function<fleet::Outcome()>& action, const std::function<nlohmann::json()>& result,
                 boost::beast::http::status status = boost::beast::http::status::ok) const;
};

struct Call {
  const Request& request;
  const Principal* principal;  ///< null on public routes
  const Query& query;
  const std::vector<std::string>& params;  ///< path parameters, in pattern order
  const Context& context;

  const std::string& actor_name() const { return principal->name; }
  /// The caller's clinics, for the store's queries.
  const store::ClinicScope& scope() const { return principal->clinics; }
  /// Throws a 404 (`not_found`) unless the caller may see `clinic`: another clinic's record does not
  /// exist for it, which is all a 404 says. A record of no clinic ("" or JSON null) only all-clinics
  /// tokens see.
  void require_visible(std::string_view clinic, const std::string& not_found) const;
  void require_visible_row(const nlohmann::json& row, const std::string& not_found) const;
};

using Handler = std::function<Response(const Call&)>;

struct Route {
  boost::beast::http::verb method;
  std::string pattern;
  std::vector<std::string> segments;  ///< "{x}" matches any one segment
  std::optional<Permission> permission;
  Handler handler;
  Reach reach = Reach::clinics;
};

class Router {
 public:
  void add(boost::beast::http::verb method, std::string pattern, std::optional<Permission> permission, Handler handler,
           Reach reach = Reach::clinics);

  struct Found {
    const Route* route = nullptr;  ///< null: no route for this method
    std::vector<std::string> params;
    std::vector<boost::beast::http::verb> allowed;  ///< methods routed for this path (for 405's Allow)
  };
  Found find(boost::beast::http::verb method, const std::vector<std::string>& segments) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// Each file of routes adds its own.
void add_device_routes(Router& router);
void add_alert_routes(Router& router);
void add_record_routes(Router& router);
void add_audit_routes(Router& router);
void add_stats_routes(Router& router);
void add_token_routes(Router& router);
void add_whoami_routes(Router& router);
void add_system_routes(Router& router);
void add_report_routes(Router& router);
/// A recall's sealed report (routes_reports.cpp), for GET recalls/{sterilizer}/{cycle}?format=.
Response recall_report(const Call& call, const std::string& cycle, report::Format format);
void add_notification_routes(Router& router);

/// Marks the stream route's handler result: Api::handle hands the connection to the event stream.
inline constexpr std::string_view stream_route = "/api/v1/stream";
/// The one route whose body may be larger than HttpOptions::body_limit (up to upload_limit): a report
/// to verify.
inline constexpr std::string_view report_verify_route = "/api/v1/reports/verify";

/// {"items":[...],"next":"cursor"|null} of a store page.
nlohmann::json page_json(store::Rows rows);

}  // namespace sterifleet::http
