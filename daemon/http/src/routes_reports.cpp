// Compliance reports for auditors (daemon/report): made from the store for any period it holds, sealed
// with their SHA-256 and the audit-chain head, and recorded in the audit trail before they are served.
#include <spdlog/spdlog.h>

#include "router.hpp"
#include "sterifleet/report/compliance.hpp"

namespace sterifleet::http {

namespace {

using verb = boost::beast::http::verb;
using std::chrono::days;

constexpr days max_period{366};
constexpr days default_period{30};
// The answer is built in memory before it is sent; a report larger than this is one for the CLI, which
// streams to a file (`sterifleet report`), or for a narrower request.
constexpr std::uint64_t max_report_bytes = 256ULL * 1024 * 1024;

report::ComplianceRequest request_of(const Call& call) {
  const auto& q = call.query;
  q.expect({"clinic", "from", "to", "format"});
  report::ComplianceRequest request;
  request.clinic = q.id("clinic");
  // A report covers one clinic or all: a token for some clinics names one of them (or has only one).
  const auto& scope = call.scope();
  if (request.clinic) call.require_visible(*request.clinic, "no clinic " + *request.clinic);
  if (!request.clinic && !scope.all()) {
    if (scope.clinics().size() != 1) {
      bad_param("clinic", "required for a token of several clinics: one of " + scope.to_json().dump());
    }
    request.clinic = *scope.clinics().begin();
  }
  request.format = *report::parse_format(q.one_of("format", {"csv", "json", "pdf"}).value_or("json"));
  const auto range = q.range();
  request.now = call.context.now();
  request.to = range.to.value_or(std::chrono::ceil<days>(request.now));
  request.from = range.from.value_or(request.to - default_period);
  if (request.to <= request.from)
    bad_param("from", "must be earlier than to (which defaults to the end of today, UTC)");
  if (request.to - request.from > max_period) bad_param("to", "the period may span at most 366 days");
  request.actor = call.principal->actor();
  request.cause = "GET " + std::string(call.request.target());
  request.sign_checkpoint = call.context.options.sign_checkpoint;
  return request;
}

std::string file_name(const report::ComplianceRequest& r) {
  const auto day = [](protocol::Timestamp t) { return protocol::format_date(protocol::utc_date(t)); };
  return "compliance-" + r.clinic.value_or("all") + "-" + day(r.from) + "-" + day(r.to) + "." +
         std::string(report::extension(r.format));
}

Response compliance_report(const Call& call) {
  const auto request = request_of(call);
  auto& services = call.context.services;
  report::StringOutput out(max_report_bytes);
  report::Made made;
  try {
    made = report::make_compliance_report(
        services.store, request, out, [&](const engine::AuditRecord& record) { services.fleet.record_audit(record); });
  } catch (const report::ReportTooLarge& e) {
    throw ApiError(
        ErrorCode::bad_request,
        std::string(e.what()) + " (`sterifleet report` on the daemon's host writes CSV and JSON of any size)");
  }
  spdlog::info("report {} made for {} by {}: {} bytes, sha256 {}", report::to_string(request.format),
               request.clinic.value_or("all clinics"), request.actor, made.bytes, made.seal.sha256);
  auto response =
      text_response(boost::beast::http::status::ok, std::move(out.text()), report::media_type(request.format));
  response.set(boost::beast::http::field::cache_control, "no-store");
  response.set(boost::beast::http::field::content_disposition,
               std::string(request.format == report::Format::json ? "inline" : "attachment") + "; filename=\"" +
                   file_name(request) + "\"");
  response.set("X-Report-SHA256", made.seal.sha256);
  response.set("X-Report-Audit-Head", std::to_string(made.seal.head.seq) + " " + made.seal.head.hash);
  if (made.seal.checkpoint) response.set("X-Report-Checkpoint", checkpoint::to_line(*made.seal.checkpoint));
  return response;
}

}  // namespace

void add_report_routes(Router& router) {
  router.add(verb::get, "/api/v1/reports/compliance", Permission::audit, compliance_report);
}

}  // namespace sterifleet::http
