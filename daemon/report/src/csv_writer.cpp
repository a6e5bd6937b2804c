#include "csv_writer.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "stored_row.hpp"

namespace sterifleet::report {

namespace {

using nlohmann::json;

// Columns of each section, after the section name itself. Part of the report's contract (README.md).
constexpr std::string_view report_columns = "title,clinic,from,to,generated_at,generated_by,layout";
constexpr std::string_view session_columns =
    "started,ended,clinic,pen,session,cartridge,lot,expires,operator,patient,area,depth_mm,strokes,runtime_s,"
    "cleared_by,compliant,patient_drift";
constexpr std::string_view cycle_columns =
    "ts,clinic,key,sterilizer,cycle,method,wrapped,temp_c,exposure_s,pressure_kpa,agent,concentration_pct,load,ci,"
    "bi_monitored,bi_result,bi_read_at,operator,entered_by,state,valid,reasons,recalled_at,recalled_by";
constexpr std::string_view violation_columns =
    "opened_at,clinic,alert,rule,severity,device,subject,summary,occurrences,state,closed_how,closed_at,closed_by,"
    "closure,ack_by,ack_at,ack_comment";
constexpr std::string_view recall_columns = "cycle,bi_read_at,recalled_cycles,devices,sessions";
constexpr std::string_view recall_session_columns =
    "cycle,pen,session,started,operator,patient,after_cycle,patient_drift";
constexpr std::string_view summary_columns = "metric,value";
constexpr std::string_view rule_columns = "rule,opened,auto_cleared,resolved,withdrawn,acknowledged,open";
constexpr std::string_view footer_columns = "sha256,body_bytes,audit_head_seq,audit_head_hash,scheme,checkpoint";

// Version of the layout above: a column added or moved is a new layout.
constexpr std::string_view layout = "2";  // 2: patient_drift

// A table rather than find_first_of, which calls memchr over the four characters for each of the field's.
constexpr auto kNeedsQuotes = [] {
  std::array<bool, 256> table{};
  for (const char c : {',', '"', '\r', '\n'}) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

bool needs_quotes(std::string_view field) {
  for (const char c : field) {
    if (kNeedsQuotes[static_cast<unsigned char>(c)]) return true;
  }
  return false;
}

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

// OWASP's CSV injection guidance: a spreadsheet reads a cell that begins with one of these as a formula
// (or, for tab and CR, strips them and reads what follows).
bool formula_like(std::string_view field) {
  if (field.empty()) return false;
  switch (field.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

// A field that is wholly a decimal number ("-4", "+1.5e3") is a value, not a formula: a spreadsheet
// reads it as that number, so negative numbers stay numbers.
bool decimal_number(std::string_view field) {
  double value = 0;
  const auto unsigned_part = field.substr(field.front() == '+' || field.front() == '-' ? 1 : 0);
  if (unsigned_part.empty() ||
      !(std::isdigit(static_cast<unsigned char>(unsigned_part.front())) || unsigned_part.front() == '.')) {
    return false;  // from_chars would take "inf" and "nan"
  }
  const auto [end, error] = std::from_chars(unsigned_part.data(), unsigned_part.data() + unsigned_part.size(), value);
  return error == std::errc{} && end == unsigned_part.data() + unsigned_part.size();
}

// Text from people and devices (comments, reasons, names): a formula-like field is prefixed with a
// single quote, which spreadsheets take as "this is text", and quoted, as OWASP advises.
void append_text(std::string& out, std::string_view field) {
  if (!formula_like(field) || decimal_number(field)) return append_field(out, field);
  out.append(",\"'");
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
      append_text(out, value.get_ref<const std::string&>());
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
      append_text(out, value.dump());
  }
}

template <class Number>
bool append_number_as(std::string& out, std::string_view text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return false;
  char digits[32];
  const auto last = std::to_chars(digits, digits + sizeof digits, value).ptr;
  append_field(out, std::string_view(digits, static_cast<std::size_t>(last - digits)));
  return true;
}

// A stored value's JSON text as one field, as append_value writes the value parsed: numbers as
// nlohmann::json reads them (integers that fit, else doubles), written shortest.
void append_json_text(std::string& out, std::optional<std::string_view> text) {
  if (!text || *text == "null") {
    out.push_back(',');
    return;
  }
  switch (text->front()) {
    case '"': {
      const auto characters = text->substr(1, text->size() - 2);
      if (std::none_of(characters.begin(), characters.end(), [](char c) { return c == '\\'; })) {
        append_text(out, characters);
      } else {
        append_text(out, json_string(*text));
      }
      return;
    }
    case '{':
    case '[':
    case 't':
    case 'f':
      append_field(out, *text);  // stored text is compact JSON: what dump() writes, and true/false
      return;
    default:
      if (text->find_first_of(".eE") == std::string_view::npos &&
          (text->front() == '-' ? append_number_as<std::int64_t>(out, *text)
                                : append_number_as<std::uint64_t>(out, *text))) {
        return;
      }
      if (!append_number_as<double>(out, *text)) append_text(out, *text);
  }
}

template <std::size_t n>
void append_members(std::string& out, const StoredRow& row, const std::array<std::string_view, n>& keys) {
  for (const auto key : keys) append_json_text(out, row.member(key));
}

constexpr std::array<std::string_view, 5> session_head{"started", "ended", "clinic", "pen", "session"};
constexpr std::array<std::string_view, 3> cartridge_fields{"id", "lot", "expires"};
constexpr std::array<std::string_view, 6> session_middle{"operator", "patient", "area",
                                                         "depth_mm", "strokes", "runtime_s"};
constexpr std::array<std::string_view, 2> session_tail{"compliant", "patient_drift"};
constexpr std::array<std::string_view, 12> cycle_head{"ts",         "clinic",       "key",     "sterilizer",
                                                      "cycle",      "method",       "wrapped", "temp_c",
                                                      "exposure_s", "pressure_kpa", "agent",   "concentration_pct"};
constexpr std::array<std::string_view, 2> cycle_indicators{"ci", "bi_monitored"};
constexpr std::array<std::string_view, 2> bi_fields{"result", "at"};
constexpr std::array<std::string_view, 4> cycle_people{"operator", "entered_by", "state", "valid"};
constexpr std::array<std::string_view, 2> cycle_recall{"recalled_at", "recalled_by"};

std::string joined(const std::vector<std::string_view>& items, std::string_view separator) {
  std::string out;
  for (const auto item : items) {
    if (!out.empty()) out.append(separator);
    if (item.front() == '"') {
      out.append(json_string(item));
    } else {
      out.append(item);
    }
  }
  return out;
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
      append_text(b, field);
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

  void session(const StoredRow& row) override {
    auto& b = out_.buffer();
    begin_record(b, "session");
    append_members(b, row, session_head);
    if (const auto cartridge = row.object("cartridge")) {
      append_members(b, *cartridge, cartridge_fields);
    } else {
      b.append(",,,");
    }
    append_members(b, row, session_middle);
    const auto clearance = row.string("clearance");
    append_text(b, clearance.empty() ? std::string_view("none") : std::string_view(clearance));
    append_members(b, row, session_tail);
    end_record(b);
    out_.written();
  }

  void cycle(const StoredRow& row) override {
    auto& b = out_.buffer();
    begin_record(b, "cycle");
    append_members(b, row, cycle_head);
    append_text(b, joined(row.elements("load"), " "));
    append_members(b, row, cycle_indicators);
    if (const auto bi = row.object("bi")) {
      append_members(b, *bi, bi_fields);
    } else {
      b.append(",,");
    }
    append_members(b, row, cycle_people);
    append_text(b, joined(row.elements("reasons"), "; "));
    append_members(b, row, cycle_recall);
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
      append_text(b, field);
    }
    end_record(b);
    out_.written();
  }

  void recall(const json& recall) override {
    auto& b = out_.buffer();
    begin_record(b, "recall");
    append_member(b, recall, "cycle");
    append_member(b, recall, "bi_read_at");
    append_text(b, joined(recall.at("cycles"), " "));
    append_text(b, joined(recall.at("devices"), " "));
    append_value(b, json(recall.at("sessions").size()));
    end_record(b);
    for (const auto& session : recall.at("sessions")) {
      begin_record(b, "recall_session");
      append_member(b, recall, "cycle");
      for (const char* key : {"pen", "session", "started", "operator", "patient", "after_cycle", "patient_drift"}) {
        append_member(b, session, key);
      }
      end_record(b);
    }
    out_.written();
  }

  void end_section(Section) override {}

  void end(const Summary& summary, const store::AuditHead&) override {
    header("summary", summary_columns);
    auto& b = out_.buffer();
    for (const auto& [metric, value] : summary.metrics()) {
      begin_record(b, "summary");
      append_text(b, metric);
      append_text(b, value);
      end_record(b);
    }
    header("summary_rule", rule_columns);
    for (const auto& [rule, tally] : summary.rules()) {
      begin_record(b, "summary_rule");
      append_text(b, rule);
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
    append_field(footer, seal.checkpoint ? checkpoint::to_line(*seal.checkpoint) : "");
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
