// Compliance reports for auditors (daemon/report): made from the store for any period it holds, sealed
// with their SHA-256 and the audit-chain head, and recorded in the audit trail before they are served;
// and a report file sent back, checked against the store (what `sterifleet report verify` does).
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "patient_mask.hpp"
#include "router.hpp"
#include "sterifleet/report/compliance.hpp"
#include "sterifleet/report/recall.hpp"
#include "sterifleet/report/verify.hpp"

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

Response sealed_response(report::StringOutput& out, const report::Made& made, report::Format format,
                         const std::string& file_name) {
  auto response = text_response(boost::beast::http::status::ok, std::move(out.text()), report::media_type(format));
  response.set(boost::beast::http::field::cache_control, "no-store");
  response.set(
      boost::beast::http::field::content_disposition,
      std::string(format == report::Format::json ? "inline" : "attachment") + "; filename=\"" + file_name + "\"");
  response.set("X-Report-SHA256", made.seal.sha256);
  response.set("X-Report-Audit-Head", std::to_string(made.seal.head.seq) + " " + made.seal.head.hash);
  if (made.seal.checkpoint) response.set("X-Report-Checkpoint", checkpoint::to_line(*made.seal.checkpoint));
  return response;
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
  return sealed_response(out, made, request.format, file_name(request));
}

// The verifier reads a file (a footer from its end, the body streamed through the hash), as the CLI's
// does: the upload becomes a private temporary file for the call.
class UploadedFile {
 public:
  explicit UploadedFile(const std::string& bytes) {
    auto pattern = (std::filesystem::temp_directory_path() / "sterifleet-verify-XXXXXX").string();
    const int fd = ::mkstemp(pattern.data());  // 0600
    if (fd < 0) throw std::runtime_error("cannot make a temporary file in " + pattern);
    path_ = pattern;
    for (std::size_t written = 0; written < bytes.size();) {
      const auto n = ::write(fd, bytes.data() + written, bytes.size() - written);
      if (n <= 0) {
        ::close(fd);
        ::unlink(path_.c_str());  // a partial report may hold patient references
        throw std::runtime_error("cannot write the report to " + path_);
      }
      written += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }
  ~UploadedFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  UploadedFile(const UploadedFile&) = delete;
  UploadedFile& operator=(const UploadedFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

nlohmann::json verdict_json(const report::Verdict& v) {
  using nlohmann::json;
  json stated = nullptr;
  if (v.stated) {
    stated = {{"sha256", v.stated->sha256},
              {"body_bytes", v.stated->body_bytes},
              {"audit_head", {{"seq", v.stated->head.seq}, {"hash", v.stated->head.hash}}}};
  }
  return {{"genuine", v.genuine},
          {"format", v.format ? json(report::to_string(*v.format)) : json(nullptr)},
          {"sha256", v.computed_sha256},
          {"stated", stated},
          {"record", v.record_seq ? v.record : json(nullptr)},
          {"checkpoint", v.checkpoint ? checkpoint::to_json(*v.checkpoint) : json(nullptr)},
          {"problems", v.problems},
          {"notes", v.notes}};
}

// Any role that may make a report may check one.
Response verify_report(const Call& call) {
  call.query.expect({});
  const auto& body = call.request.body();
  if (body.empty()) bad_param("body", "the report file's bytes, as downloaded (CSV, JSON or PDF)");
  const UploadedFile file(body);
  auto verdict = report::verify_report(call.context.services.store, file.path(), call.context.options.audit_key);
  // A token for some clinics learns whether the file is one of its clinics' genuine reports, and nothing
  // of the rest of the fleet: not another clinic's record, nor what is wrong with the fleet's trail.
  if (!call.scope().all()) {
    const auto clinic = verdict.record_seq ? verdict.record.value("clinic", nlohmann::json()) : nlohmann::json();
    const bool its_own = clinic.is_string() && call.scope().covers(clinic.get<std::string>());
    if (!its_own || !verdict.genuine) {
      const auto computed = verdict.computed_sha256;
      const auto format = verdict.format;
      verdict = {};
      verdict.computed_sha256 = computed;
      verdict.format = format;
      verdict.problems.push_back("no report of a clinic this token may read has this content");
    }
  }
  spdlog::info("report verified by {}: {} ({} bytes)", call.principal->actor(),
               verdict.genuine ? "genuine" : "not genuine", body.size());
  return json_response(boost::beast::http::status::ok, verdict_json(verdict));
}

}  // namespace

Response recall_report(const Call& call, const std::string& cycle, report::Format format) {
  auto& services = call.context.services;
  report::RecallRequest request;
  request.cycle = cycle;
  request.format = format;
  request.actor = call.principal->actor();
  request.cause = "GET " + std::string(call.request.target());
  request.now = call.context.now();
  request.sign_checkpoint = call.context.options.sign_checkpoint;
  if (const auto mask = PatientMask::for_call(call)) {
    request.redact = [mask](nlohmann::json& sessions) { mask->sessions(sessions); };
  }
  report::StringOutput out(max_report_bytes);
  report::Made made;
  try {
    made = report::make_recall_report(services.store, request, out,
                                      [&](const engine::AuditRecord& record) { services.fleet.record_audit(record); });
  } catch (const report::NoRecall& e) {
    throw ApiError(ErrorCode::not_found, e.what());
  } catch (const report::ReportTooLarge& e) {
    throw ApiError(ErrorCode::bad_request, std::string(e.what()) + " (ask for csv)");
  }
  spdlog::info("recall report {} of {} made by {}: {} bytes, sha256 {}", report::to_string(format), cycle,
               request.actor, made.bytes, made.seal.sha256);
  std::string name = "recall-" + cycle + "." + std::string(report::extension(format));
  std::replace(name.begin(), name.end(), '/', '-');
  return sealed_response(out, made, format, name);
}

void add_report_routes(Router& router) {
  router.add(verb::get, "/api/v1/reports/compliance", Permission::audit, compliance_report);
  router.add(verb::post, std::string(report_verify_route), Permission::audit, verify_report);
}

}  // namespace sterifleet::http
