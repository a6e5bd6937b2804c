#include "sterifleet/report/recall.hpp"

#include "recall_trace.hpp"
#include "report_writer.hpp"
#include "summary.hpp"

namespace sterifleet::report {

namespace {

using nlohmann::json;
using protocol::format_timestamp;

engine::AuditRecord audit_record(const RecallRequest& request, const std::string& clinic, const Header& header,
                                 const json& trace, const Made& made) {
  json after{{"kind", "recall"},
             {"cycle", request.cycle},
             {"clinic", clinic.empty() ? json(nullptr) : json(clinic)},
             {"from", header.from},
             {"to", header.to},
             {"rows",
              {{"cycles", trace.at("cycles").size()},
               {"devices", trace.at("devices").size()},
               {"sessions", trace.at("sessions").size()}}}};
  after.update(sealed_file_json(made, request.format));
  return {request.now,   request.actor, report_entity(made.seal.sha256), "recall_report", nullptr, std::move(after),
          request.cause, clinic};
}

}  // namespace

Made make_recall_report(store::Store& store, const RecallRequest& request, Output& out,
                        const std::function<void(const engine::AuditRecord&)>& record) {
  const auto cycle = store.cycle(request.cycle);
  const auto no_recall = "no positive biological indicator for cycle " + request.cycle;
  if (!cycle) throw NoRecall(no_recall);
  const auto& bi = cycle->value("bi", json());
  if (!bi.is_object() || bi.value("result", "") != "positive") throw NoRecall(no_recall);
  auto trace = trace_recall(store, *cycle);
  if (request.redact) request.redact(trace["sessions"]);

  const auto clinic = cycle->value("clinic", std::string());
  // The period: from the cycle's completion to now, up to which its sessions are traced.
  const Header header{"Recall report",
                      clinic.empty() ? std::nullopt : std::optional(clinic),
                      cycle->value("ts", std::string()),
                      format_timestamp(request.now),
                      format_timestamp(request.now),
                      request.actor,
                      Kind::recall,
                      request.cycle};
  SealedOutput sealed(out);
  const auto writer = make_writer(request.format, sealed, request.max_pdf_rows);
  Summary summary(Kind::recall);
  writer->begin(header);
  writer->begin_section(Section::recalls);
  writer->recall(trace);
  summary.add_recall(trace);
  writer->end_section(Section::recalls);
  auto made = finish_report(store, *writer, sealed, summary, request.sign_checkpoint);
  made.counts.recalls = 1;
  made.counts.sessions = static_cast<std::int64_t>(trace.at("sessions").size());
  record(audit_record(request, clinic, header, trace, made));
  return made;
}

}  // namespace sterifleet::report
