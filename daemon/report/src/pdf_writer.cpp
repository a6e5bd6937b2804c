#include "pdf_writer.hpp"

#include <cairo-pdf.h>

#include <stdexcept>

#include "pdf_table.hpp"

namespace sterifleet::report {

namespace {

using nlohmann::json;

std::string text(const json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return {};
  return found->is_string() ? found->get<std::string>() : found->dump();
}

// "2026-11-24T09:15:02.120Z" -> "2026-11-24 09:15:02": every time in the PDF is UTC, as its header says.
std::string when(std::string stamp) {
  if (stamp.size() < 19) return stamp;
  stamp[10] = ' ';
  return stamp.substr(0, 19);
}

std::string joined(const json& items, const char* separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item.is_string() ? item.get<std::string>() : item.dump();
  }
  return out;
}

std::string human_count(std::int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

cairo_status_t append_to(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

cairo_status_t discard(void*, const unsigned char*, unsigned int) { return CAIRO_STATUS_SUCCESS; }

// Owns a PDF surface and its context.
class Canvas {
 public:
  Canvas(cairo_write_func_t write, void* closure)
      : surface_(cairo_pdf_surface_create_for_stream(write, closure, kPageWidth, kPageHeight)),
        cr_(cairo_create(surface_)) {}
  ~Canvas() {
    cairo_destroy(cr_);
    cairo_surface_destroy(surface_);
  }
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;
  cairo_surface_t* surface() { return surface_; }
  cairo_t* cr() { return cr_; }
  void finish() {
    cairo_surface_finish(surface_);
    if (cairo_surface_status(surface_) != CAIRO_STATUS_SUCCESS) {
      throw std::runtime_error(std::string("cairo failed to write the PDF: ") +
                               cairo_status_to_string(cairo_surface_status(surface_)));
    }
  }

 private:
  cairo_surface_t* surface_;
  cairo_t* cr_;
};

Table sessions_table(bool every_clinic) {
  return {{{"Started (UTC)", 1.25},
           {"Ended", 1.25},
           {every_clinic ? "Clinic / pen" : "Pen", 1.0},
           {"Session", 1.0},
           {"Cartridge (lot, expires)", 1.7},
           {"Operator", 0.9},
           {"Patient ref.", 0.9},
           {"Area, depth", 0.9},
           {"Strokes", 0.6, true},
           {"Cleared by (reprocessing)", 1.5},
           {"Compliant", 0.75}},
          {},
          1};
}

Table cycles_table() {
  return {{{"Completed (UTC)", 1.25},
           {"Cycle", 1.3},
           {"Method", 0.9},
           {"Temp. \u00b0C", 0.55, true},
           {"Exposure (s)", 0.65, true},
           {"Load", 1.5},
           {"CI", 0.4},
           {"BI", 1.3},
           {"Operator", 0.8},
           {"State", 0.75},
           {"Why not valid", 2.5}},
          {},
          1};
}

Table violations_table() {
  return {{{"Opened (UTC)", 1.2},
           {"Rule", 2.0},
           {"Severity", 0.6},
           {"Device", 0.85},
           {"What happened", 2.5},
           {"Closed", 0.85},
           {"By, at", 1.4},
           {"Clearance, reason or comment", 2.0}},
          {},
          1};
}

Table recall_sessions_table() {
  return {
      {{"Pen", 1}, {"Session", 1}, {"Started (UTC)", 1.3}, {"Operator", 1}, {"Patient ref.", 1}, {"After cycle", 1.3}},
      {},
      1};
}

std::string bi_cell(const json& cycle) {
  const auto& bi = cycle.at("bi");
  if (bi.is_object()) return text(bi, "result") + ", read " + when(text(bi, "at"));
  return cycle.value("bi_monitored", false) ? "awaiting" : "not monitored";
}

// A reference off the policy's pattern may identify a person: the auditor is told so beside it.
std::string patient_cell(const json& session) {
  const auto flagged = session.find("patient_drift");
  const bool drift = flagged != session.end() && flagged->is_boolean() && flagged->get<bool>();
  // Short words: a narrow column wraps between words, and one too long for it would be cut.
  return text(session, "patient") + (drift ? " (MAY IDENTIFY A PERSON)" : "");
}

std::string rule_label(std::string_view how) {
  if (how == "auto_cleared") return "auto-cleared";
  if (how == "resolved") return "resolved by a person";
  return std::string(how);
}

class PdfWriter : public ReportWriter {
 public:
  PdfWriter(SealedOutput& out, std::size_t max_rows) : out_(out), max_rows_(max_rows) {}

  void begin(const Header& header) override {
    header_ = header;
    sessions_ = sessions_table(!header.clinic);
  }

  void begin_section(Section) override {}
  void end_section(Section) override {}

  void session(const StoredRow& stored) override {
    count_row();
    const auto row = stored.json();
    const auto& cartridge = row.at("cartridge");
    const auto clearance = text(row, "clearance");
    const auto pen = header_.clinic ? text(row, "pen") : text(row, "clinic") + " / " + text(row, "pen");
    sessions_.rows.push_back(
        {when(text(row, "started")), when(text(row, "ended")), pen, text(row, "session"),
         text(cartridge, "id") + " (" + text(cartridge, "lot") + ", " + text(cartridge, "expires") + ")",
         text(row, "operator"), patient_cell(row), text(row, "area") + ", " + text(row, "depth_mm") + " mm",
         text(row, "strokes"), clearance.empty() ? "NONE" : clearance, row.value("compliant", false) ? "yes" : "NO"});
  }

  void cycle(const StoredRow& stored) override {
    count_row();
    const auto row = stored.json();
    auto temp = text(row, "temp_c");
    auto method = text(row, "method");
    if (row.contains("agent")) method += " (" + text(row, "agent") + " " + text(row, "concentration_pct") + " %)";
    cycles_.rows.push_back({when(text(row, "ts")), text(row, "key"), method, temp, text(row, "exposure_s"),
                            joined(row.at("load"), ", "), text(row, "ci"), bi_cell(row), text(row, "operator"),
                            text(row, "state"), joined(row.at("reasons"), "; ")});
  }

  void violation(const json& alert, const Closure& closure) override {
    count_row();
    std::string by = closure.by;
    if (!closure.at.empty()) by += (by.empty() ? "" : ", ") + when(closure.at);
    std::string detail = closure.detail;
    if (!closure.ack_by.empty() && closure.how != "acknowledged") {
      detail += (detail.empty() ? "" : "; ") + std::string("acknowledged by ") + closure.ack_by + ", " +
                when(closure.ack_at) + (closure.ack_comment.empty() ? "" : ": " + closure.ack_comment);
    }
    violations_.rows.push_back({when(text(alert, "opened_at")), text(alert, "rule"), text(alert, "severity"),
                                text(alert, "device"), text(alert, "summary"), rule_label(closure.how), by, detail});
  }

  void recall(const json& recall) override {
    rows_ += recall.at("sessions").size();
    count_row();
    recalls_.push_back(recall);
  }

  void signed_head(const checkpoint::Checkpoint& signed_head) override { signed_head_ = signed_head; }

  void end(const Summary& summary, const store::AuditHead& head) override {
    summary_ = &summary;
    head_ = head;
    int pages = 0;
    {
      Canvas measure(discard, nullptr);
      pages = render(measure.cr(), false, 0);
    }
    std::string pdf;
    Canvas canvas(append_to, &pdf);
    cairo_pdf_surface_set_metadata(canvas.surface(), CAIRO_PDF_METADATA_TITLE, title().c_str());
    cairo_pdf_surface_set_metadata(canvas.surface(), CAIRO_PDF_METADATA_CREATOR, "sterifleet");
    cairo_pdf_surface_set_metadata(canvas.surface(), CAIRO_PDF_METADATA_CREATE_DATE,
                                   (header_.generated_at.substr(0, 19) + "Z").c_str());
    render(canvas.cr(), true, pages);
    canvas.finish();
    out_.body(pdf);
  }

  // The body is the whole file, seal page included: its SHA-256 cannot be printed inside the bytes it
  // covers, so it travels beside the file (the audit record, the API's header, the CLI's output).
  void seal(const Seal&) override {}

 private:
  void count_row() {
    if (++rows_ > max_rows_) {
      throw ReportTooLarge("a PDF report holds at most " + std::to_string(max_rows_) +
                           " table rows and this one has more; ask for csv or json, a shorter period or one clinic");
    }
  }

  bool is_recall() const { return header_.kind == Kind::recall; }

  std::string title() const {
    return is_recall() ? "Recall report: " + header_.subject : "Compliance report: " + clinic_label(header_);
  }

  std::string footer_text() const {
    const auto what = is_recall() ? "recall report - " + header_.subject + " - traced to " + when(header_.to)
                                  : "compliance report - " + clinic_label(header_) + " - " + when(header_.from) +
                                        " to " + when(header_.to);
    return "sterifleet " + what + " UTC - its audit-chain head and how to prove it are on the last page";
  }

  void seal_page(PdfPages& p) {
    p.keep(kPageHeight);  // a page of its own
    p.title("Seal of this report");
    p.paragraph("Audit-chain head when the report was made: record " + std::to_string(head_.seq) + ", hash " +
                head_.hash + ". Every row in this report was committed at or before that record.");
    p.paragraph(
        "The audit trail records the making of this report as entity report:<SHA-256 of this file>, stating this "
        "head, the file's length and who made it. The SHA-256 is of the whole file, this page included, so it "
        "cannot be printed here: it is given with the file (the API's X-Report-SHA256 header, the output of "
        "sterifleet report) and is in the audit record.");
    if (signed_head_) {
      p.paragraph("The daemon signed this head with its audit key (" + checkpoint::key_text(signed_head_->key) +
                  "). The checkpoint, to save as one line of a file for sterifleet audit verify --checkpoint: " +
                  checkpoint::to_line(*signed_head_));
    }
    p.paragraph("Prove it with the store it was made from:  sterifleet report verify --db <store> <this file>");
    p.paragraph(
        "or by hand:  sha256sum <this file>, then find the audit record whose entity is report:<that hash> "
        "(GET /api/v1/audit) and check the head above is a record of the trail with that hash.");
    const auto what =
        is_recall()
            ? "recall of cycle " + header_.subject + " (" + clinic_label(header_) + "), traced to " + when(header_.to)
            : "compliance of " + clinic_label(header_) + ", from " + when(header_.from) + " to " + when(header_.to);
    p.paragraph("Report: " + what + " UTC, made " + when(header_.generated_at) + " UTC by " + header_.generated_by +
                ".");
  }

  int render(cairo_t* cr, bool draw, int total) {
    PdfPages p(cr, draw, footer_text(), total);
    p.title(title());
    if (is_recall()) {
      p.paragraph("Clinic: " + clinic_label(header_));
      p.paragraph("Sessions traced up to " + when(header_.to) + " UTC; made " + when(header_.generated_at) +
                  " UTC by " + header_.generated_by);
      p.paragraph(
          "The cycles the positive biological indicator recalls (its own and the sterilizer's earlier cycles since "
          "its last negative indicator), the devices in their loads, and every session that used one of those "
          "devices after the cycle and before the device's next reprocessing by a cycle that was not recalled: "
          "the patients to review.");
      if (summary_) totals(p, *summary_);
      recalls(p);
      seal_page(p);
      return p.finish();
    }
    p.paragraph("Clinic: " + clinic_label(header_));
    p.paragraph("Period: from " + when(header_.from) + " (inclusive) to " + when(header_.to) + " (exclusive), UTC");
    p.paragraph("Made " + when(header_.generated_at) + " UTC by " + header_.generated_by);
    p.paragraph(
        "Every session started in the period, with the reprocessing that made its pen safe to use (NONE: no valid "
        "reprocessing since the pen's previous session); every sterilizer cycle completed in the period; every "
        "violation opened in the period and how it was closed; a recall for each biological indicator read "
        "positive in the period.");
    if (summary_) summary_tables(p, *summary_);
    section(p, "Sessions", sessions_, "No session started in this period.");
    section(p, "Sterilizer cycles", cycles_, "No cycle completed in this period.");
    section(p, "Violations", violations_, "No alert opened in this period.");
    recalls(p);
    seal_page(p);
    return p.finish();
  }

  void summary_tables(PdfPages& p, const Summary& s) {
    totals(p, s);
    p.heading("Violations by rule, and how they were closed");
    if (s.rules().empty()) {
      p.paragraph("No alert opened in this period.");
      return;
    }
    Table rules{{{"Rule", 2.2},
                 {"Opened", 0.7, true},
                 {"Auto-cleared", 0.8, true},
                 {"Resolved by a person", 0.9, true},
                 {"Withdrawn", 0.8, true},
                 {"Acknowledged, open", 0.9, true},
                 {"Open", 0.6, true}},
                {},
                0.75};
    for (const auto& [rule, tally] : s.rules()) {
      std::vector<std::string> row{rule, std::to_string(tally.opened)};
      for (const auto count : tally.closed) row.push_back(std::to_string(count));
      rules.rows.push_back(std::move(row));
    }
    p.table(rules);
  }

  static void totals(PdfPages& p, const Summary& s) {
    p.heading("Summary");
    const auto share = s.compliant_share();
    Table totals{{{"", 3}, {"", 1, true}}, {}, 0.45};
    totals.columns[0].title = "What";
    totals.columns[1].title = "Count";
    const std::map<std::string, std::string> labels{
        {"sessions", "Sessions"},
        {"sessions_compliant", "Sessions compliant"},
        {"sessions_not_compliant", "Sessions not compliant"},
        {"sessions_compliant_share", "Share of sessions compliant"},
        {"sessions_first_use", "Sessions that were a pen's first use"},
        {"cycles", "Sterilizer cycles"},
        {"cycles_valid", "Cycles valid (or awaiting their BI)"},
        {"cycles_invalid", "Cycles invalid (or recalled)"},
        {"cycles_awaiting_bi", "Cycles awaiting their biological indicator"},
        {"cycles_recalled", "Cycles recalled"},
        {"violations", "Violations (alerts opened)"},
        {"recalls", "Positive biological indicators (recalls)"},
        {"recalled_cycles", "Cycles recalled by them"},
        {"recalled_devices", "Devices in recalled loads"},
        {"recalled_sessions", "Sessions to review for the recalls"},
    };
    for (const auto& [metric, value] : s.metrics()) {
      std::string shown = value;
      if (metric == "sessions_compliant_share") shown = share ? format_share(*share * 100) + " %" : "-";
      totals.rows.push_back({labels.contains(metric) ? labels.at(metric) : metric, shown});
    }
    p.table(totals);
  }

  static void section(PdfPages& p, const std::string& name, const Table& table, const std::string& none) {
    p.heading(name + " (" + std::to_string(table.rows.size()) + ")");
    if (table.rows.empty()) {
      p.paragraph(none);
    } else {
      p.table(table);
    }
  }

  void recalls(PdfPages& p) {
    p.heading("Recalls (" + std::to_string(recalls_.size()) + ")");
    if (recalls_.empty()) {
      p.paragraph("No biological indicator read positive in this period.");
      return;
    }
    for (const auto& recall : recalls_) {
      p.keep(110);  // the recall's heading, its lists and the start of its table on one page
      p.subheading("Biological indicator of cycle " + text(recall, "cycle") + " read positive at " +
                   when(text(recall, "bi_read_at")) + " UTC");
      p.paragraph("Recalled cycles: " + joined(recall.at("cycles"), ", "));
      p.paragraph("Devices in their loads: " + joined(recall.at("devices"), ", "));
      Table table = recall_sessions_table();
      for (const auto& s : recall.at("sessions")) {
        table.rows.push_back({text(s, "pen"), text(s, "session"), when(text(s, "started")), text(s, "operator"),
                              patient_cell(s), text(s, "after_cycle")});
      }
      if (table.rows.empty()) {
        p.paragraph("No session used these devices after the recalled cycles.");
      } else {
        p.paragraph(human_count(static_cast<std::int64_t>(table.rows.size()), "session", "sessions") +
                    " to review: the patients treated with these devices before they were reprocessed again.");
        p.table(table);
      }
    }
  }

  SealedOutput& out_;
  std::size_t max_rows_;
  std::size_t rows_ = 0;
  Header header_;
  Table sessions_;
  Table cycles_ = cycles_table();
  Table violations_ = violations_table();
  std::vector<json> recalls_;
  std::optional<checkpoint::Checkpoint> signed_head_;
  const Summary* summary_ = nullptr;
  store::AuditHead head_;
};

}  // namespace

std::unique_ptr<ReportWriter> make_pdf_writer(SealedOutput& out, std::size_t max_rows) {
  return std::make_unique<PdfWriter>(out, max_rows);
}

}  // namespace sterifleet::report
