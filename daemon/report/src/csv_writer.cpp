#include "csv_writer.hpp"

#include <charconv>

namespace sterifleet::report {

namespace {

using nlohmann::json;

// Columns of each section, after the section name itself. Part of the report's contract (README.md).
constexpr std::string_view report_columns = "title,clinic,from,to,generated_at,generated_by,layout";
constexpr std::string_view session_columns =
    "started,ended,clinic,pen,session,cartridge,lot,expires,operator,patient,area,depth_mm,strokes,runtime_s,"
    "cleared_by,compliant";
constexpr std::string_view cycle_columns =
    "ts,clinic,key,sterilizer,cycle,method,wrapped,temp_c,exposure_s,pressure_kpa,agent,concentration_pct,load,ci,"
    "bi_monitored,bi_result,bi_read_at,operator,entered_by,state,valid,reasons,recalled_at,recalled_by";
constexpr std::string_view violation_columns =
    "opened_at,clinic,alert,rule,severity,device,subject,summary,occurrences,state,closed_how,closed_at,closed_by,"
    "closure,ack_by,ack_at,ack_comment";
constexpr std::string_view recall_columns = "cycle,bi_read_at,recalled_cycles,devices,sessions";
constexpr std::string_view recall_session_columns = "cycle,pen,session,started,operator,patient,after_cycle";
constexpr std::string_view summary_columns = "metric,value";
constexpr std::string_view rule_columns = "rule,opened,auto_cleared,resolved,withdrawn,acknowledged,open";
constexpr std::string_view footer_columns = "sha256,body_bytes,audit_head_seq,audit_head_hash,scheme";

// Version of the layout above: a column added or moved is a new layout.
constexpr std::string_view layout = "1";

bool needs_quotes(std::string_view field) { return field.find_first_of(",\"\r\n") != std::string_view::npos; }

// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
void append_field(std::string& out, std::string_view field) {
  out.push_back(',');
  if (!needs_quotes(field)) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (const char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

// A JSON value as one field: text as is, numbers shortest, null empty, booleans true/false.
void append_value(std::string& out, const json& value) {
  char digits[32];
  switch (value.type()) {
    case json::value_t::string:
      append_field(out, value.get_ref<const std::string&>());
      return;
    case json::value_t::number_integer: {
      const auto end = std::to_chars(digits, digits + sizeof digits, value.get<std::int64_t>()).ptr;
      append_field(out, std::string_view(digits, static_cast<std::size_t>(end - digits)));
      return;
    }
    case json::value_t::number_unsigned: {
      const auto end = std::to_chars(digits, digits + sizeof digits, value.get<std::uint64_t>()).ptr;
      append_field(out, std::string_view(digits, static_cast<std::size_t>(end - digits)));
      return;
    }
    case json::value_t::number_float: {
      const auto end = std::to_chars(digits, digits + sizeof digits, value.get<double>()).ptr;
      append_field(out, std::string_view(digits, static_cast<std::size_t>(end - digits)));
      return;
    }
    case json::value_t::boolean:
      append_field(out, value.get<bool>() ? "true" : "false");
      return;
    case json::value_t::null:
    case json::value_t::discarded:
      out.push_back(',');
      return;
    default:
      append_field(out, value.dump());
  }
}

void append_member(std::string& out, const json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end()) {
    out.push_back(',');
  } else {
    append_value(out, *found);
  }
}

std::string joined(const json& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.append(separator);
    out.append(item.is_string() ? item.get_ref<const std::string&>() : item.dump());
  }
  return out;
}

void begin_record(std::string& out, std::string_view section) { out.append(section); }
void end_record(std::string& out) { out.append("\r\n"); }

class CsvWriter : public ReportWriter {
 public:
  explicit CsvWriter(SealedOutput& out) : out_(out) {}

  void begin(const Header& h) override {
    header("report", report_columns);
    auto& b = out_.buffer();
    begin_record(b, "report");
    const std::string clinic = h.clinic.value_or("");  // outlives the loop: the views below point into it
    for (const auto& field :
         {std::string_view(h.title), std::string_view(clinic), std::string_view(h.from), std::string_view(h.to),
          std::string_view(h.generated_at), std::string_view(h.generated_by), layout}) {
      append_field(b, field);
    }
    end_record(b);
    out_.written();
  }

  void begin_section(Section section) override {
    switch (section) {
      case Section::sessions:
        return header("session", session_columns);
      case Section::cycles:
        return header("cycle", cycle_columns);
      case Section::violations:
        return header("violation", violation_columns);
      case Section::recalls:
        header("recall", recall_columns);
        return header("recall_session", recall_session_columns);
    }
  }

  void session(const json& row) override {
    auto& b = out_.buffer();
    begin_record(b, "session");
    append_member(b, row, "started");
    append_member(b, row, "ended");
    append_member(b, row, "clinic");
    append_member(b, row, "pen");
    append_member(b, row, "session");
    const auto& cartridge = row.at("cartridge");
    append_member(b, cartridge, "id");
    append_member(b, cartridge, "lot");
    append_member(b, cartridge, "expires");
    append_member(b, row, "operator");
    append_member(b, row, "patient");
    append_member(b, row, "area");
    append_member(b, row, "depth_mm");
    append_member(b, row, "strokes");
    append_member(b, row, "runtime_s");
    const auto& clearance = row.at("clearance").get_ref<const std::string&>();
    append_field(b, clearance.empty() ? std::string_view("none") : std::string_view(clearance));
    append_member(b, row, "compliant");
    end_record(b);
    out_.written();
  }

  void cycle(const json& row) override {
    auto& b = out_.buffer();
    begin_record(b, "cycle");
    for (const char* key : {"ts", "clinic", "key", "sterilizer", "cycle", "method", "wrapped", "temp_c", "exposure_s",
                            "pressure_kpa", "agent", "concentration_pct"}) {
      append_member(b, row, key);
    }
    append_field(b, joined(row.at("load"), " "));
    append_member(b, row, "ci");
    append_member(b, row, "bi_monitored");
    const auto& bi = row.at("bi");
    if (bi.is_object()) {
      append_member(b, bi, "result");
      append_member(b, bi, "at");
    } else {
      b.append(",,");
    }
    for (const char* key : {"operator", "entered_by", "state", "valid"}) append_member(b, row, key);
    append_field(b, joined(row.at("reasons"), "; "));
    append_member(b, row, "recalled_at");
    append_member(b, row, "recalled_by");
    end_record(b);
    out_.written();
  }

  void violation(const json& alert, const Closure& closure) override {
    auto& b = out_.buffer();
    begin_record(b, "violation");
    append_member(b, alert, "opened_at");
    append_member(b, alert, "clinic");
    append_member(b, alert, "id");
    for (const char* key : {"rule", "severity", "device", "subject", "summary", "occurrences", "state"}) {
      append_member(b, alert, key);
    }
    for (const std::string_view field :
         {closure.how, std::string_view(closure.at), std::string_view(closure.by), std::string_view(closure.detail),
          std::string_view(closure.ack_by), std::string_view(closure.ack_at), std::string_view(closure.ack_comment)}) {
      append_field(b, field);
    }
    end_record(b);
    out_.written();
  }

  void recall(const json& recall) override {
    auto& b = out_.buffer();
    begin_record(b, "recall");
    append_member(b, recall, "cycle");
    append_member(b, recall, "bi_read_at");
    append_field(b, joined(recall.at("cycles"), " "));
    append_field(b, joined(recall.at("devices"), " "));
    append_value(b, json(recall.at("sessions").size()));
    end_record(b);
    for (const auto& session : recall.at("sessions")) {
      begin_record(b, "recall_session");
      append_member(b, recall, "cycle");
      for (const char* key : {"pen", "session", "started", "operator", "patient", "after_cycle"}) {
        append_member(b, session, key);
      }
      end_record(b);
    }
    out_.written();
  }

  void end_section(Section) override {}

  void end(const Summary& summary) override {
    header("summary", summary_columns);
    auto& b = out_.buffer();
    for (const auto& [metric, value] : summary.metrics()) {
      begin_record(b, "summary");
      append_field(b, metric);
      append_field(b, value);
      end_record(b);
    }
    header("summary_rule", rule_columns);
    for (const auto& [rule, tally] : summary.rules()) {
      begin_record(b, "summary_rule");
      append_field(b, rule);
      append_value(b, json(tally.opened));
      for (const auto count : tally.closed) append_value(b, json(count));
      end_record(b);
    }
    out_.written();
  }

  void seal(const Seal& seal) override {
    std::string footer;
    begin_record(footer, "footer");
    footer.append(",").append(footer_columns);
    end_record(footer);
    begin_record(footer, "footer");
    append_field(footer, seal.sha256);
    append_field(footer, std::to_string(seal.body_bytes));
    append_field(footer, std::to_string(seal.head.seq));
    append_field(footer, seal.head.hash);
    append_field(footer, seal_scheme);
    end_record(footer);
    out_.footer(footer);
  }

 private:
  void header(std::string_view section, std::string_view columns) {
    auto& b = out_.buffer();
    begin_record(b, section);
    b.push_back(',');
    b.append(columns);
    end_record(b);
    out_.written();
  }

  SealedOutput& out_;
};

}  // namespace

std::unique_ptr<ReportWriter> make_csv_writer(SealedOutput& out) { return std::make_unique<CsvWriter>(out); }

}  // namespace sterifleet::report
