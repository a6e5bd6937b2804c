#include "sterifleet/report/compliance.hpp"

#include <algorithm>
#include <stdexcept>

#include "closure.hpp"
#include "recall_trace.hpp"
#include "report_writer.hpp"
#include "stored_row.hpp"
#include "summary.hpp"

namespace sterifleet::report {

namespace {

using nlohmann::json;
using protocol::format_timestamp;
using std::chrono::days;

// A BI is read a day or two after its cycle (seven for the slowest indicators): a cycle run this long
// before the period may have its positive BI read inside it.
constexpr days bi_lookback{7};

template <class Fetch, class Visit>
void scan(Fetch fetch, Visit visit) {
  store::Page page{store::max_page_limit, {}};
  do {
    auto rows = fetch(page);
    for (const auto& row : rows.rows) visit(row);
    page.after = std::move(rows.next);
  } while (!page.after.empty());
}

bool positive_read_within(const StoredRow& cycle, const std::string& from, const std::string& to) {
  const auto bi = cycle.object("bi");
  if (!bi || bi->string("result") != "positive") return false;
  const auto at = bi->string("at");
  return at >= from && at < to;  // one timestamp format throughout: text order is time order
}

class ComplianceReport {
 public:
  ComplianceReport(store::Store& store, const ComplianceRequest& request, ReportWriter& writer)
      : store_(store),
        request_(request),
        writer_(writer),
        from_(format_timestamp(request.from)),
        to_(format_timestamp(request.to)) {}

  /// Every row, up to the summary (finish_report writes the rest).
  const Summary& write() {
    writer_.begin({"Compliance report",
                   request_.clinic,
                   from_,
                   to_,
                   format_timestamp(request_.now),
                   request_.actor,
                   Kind::compliance,
                   {}});
    sessions();
    cycles();
    violations();
    recalls();
    return summary_;
  }

 private:
  store::RecordFilter records(protocol::Timestamp from, protocol::Timestamp to) const {
    return {request_.clinic, std::nullopt, from, to};
  }

  void sessions() {
    writer_.begin_section(Section::sessions);
    store_.scan_sessions(records(request_.from, request_.to), [&](std::string_view text) {
      const StoredRow row(text);
      writer_.session(row);
      summary_.add_session(row);
    });
    writer_.end_section(Section::sessions);
  }

  void cycles() {
    writer_.begin_section(Section::cycles);
    store_.scan_cycles(records(request_.from, request_.to), [&](std::string_view text) {
      const StoredRow row(text);
      writer_.cycle(row);
      summary_.add_cycle(row);
      keep_if_positive(row);
    });
    writer_.end_section(Section::cycles);
    store_.scan_cycles(records(request_.from - bi_lookback, request_.from),
                       [&](std::string_view text) { keep_if_positive(StoredRow(text)); });
    std::stable_sort(positives_.begin(), positives_.end(), [](const json& a, const json& b) {
      return a.at("bi").at("at").get_ref<const std::string&>() < b.at("bi").at("at").get_ref<const std::string&>();
    });
  }

  void keep_if_positive(const StoredRow& cycle) {
    if (positive_read_within(cycle, from_, to_)) positives_.push_back(cycle.json());
  }

  // The store lists alerts newest first; a day at a time, reversed, they come oldest first without
  // holding more than a day of them.
  void violations() {
    writer_.begin_section(Section::violations);
    std::vector<json> day;
    for (auto start = request_.from; start < request_.to; start += days{1}) {
      const auto end = std::min(start + days{1}, request_.to);
      day.clear();
      scan(
          [&](const store::Page& page) {
            store::AlertQuery query;
            query.clinic = request_.clinic;
            query.from = start;
            query.to = end;
            query.page = page;
            return store_.alerts(query);
          },
          [&](const json& row) { day.push_back(row); });
      for (auto row = day.rbegin(); row != day.rend(); ++row) {
        const auto closure = closure_of(*row);
        writer_.violation(*row, closure);
        summary_.add_violation(*row, closure);
      }
    }
    writer_.end_section(Section::violations);
  }

  void recalls() {
    writer_.begin_section(Section::recalls);
    for (const auto& positive : positives_) {
      const auto recall = trace_recall(store_, positive);
      writer_.recall(recall);
      summary_.add_recall(recall);
    }
    writer_.end_section(Section::recalls);
  }

  store::Store& store_;
  const ComplianceRequest& request_;
  ReportWriter& writer_;
  std::string from_;
  std::string to_;
  Summary summary_;
  std::vector<json> positives_;
};

engine::AuditRecord audit_record(const ComplianceRequest& request, const Made& made) {
  json after{{"kind", "compliance"},
             {"clinic", request.clinic ? json(*request.clinic) : json(nullptr)},
             {"from", format_timestamp(request.from)},
             {"to", format_timestamp(request.to)},
             {"rows",
              {{"sessions", made.counts.sessions},
               {"cycles", made.counts.cycles},
               {"violations", made.counts.violations},
               {"recalls", made.counts.recalls}}}};
  after.update(sealed_file_json(made, request.format));
  // A report of one clinic is that clinic's record; one of all clinics is the fleet's.
  return {request.now,      request.actor, report_entity(made.seal.sha256), "compliance_report", nullptr,
          std::move(after), request.cause, request.clinic.value_or("")};
}

}  // namespace

std::string clinic_label(const Header& header) { return header.clinic ? *header.clinic : "all clinics"; }

Made make_compliance_report(store::Store& store, const ComplianceRequest& request, Output& out,
                            const std::function<void(const engine::AuditRecord&)>& record) {
  if (request.to <= request.from) throw std::invalid_argument("a report's period must end after it starts");
  SealedOutput sealed(out);
  const auto writer = make_writer(request.format, sealed, request.max_pdf_rows);
  ComplianceReport report(store, request, *writer);
  const auto& summary = report.write();
  auto made = finish_report(store, *writer, sealed, summary, request.sign_checkpoint);
  made.counts = {summary.sessions(), summary.cycles(), summary.violations(), summary.recalls()};
  record(audit_record(request, made));
  return made;
}

}  // namespace sterifleet::report
