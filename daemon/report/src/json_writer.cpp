#include "json_writer.hpp"

namespace sterifleet::report {

namespace {

using nlohmann::json;

std::string text(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string_view member_name(Section section) {
  switch (section) {
    case Section::sessions:
      return "sessions";
    case Section::cycles:
      return "cycles";
    case Section::violations:
      return "violations";
    case Section::recalls:
      return "recalls";
  }
  return "sessions";
}

json closure_json(const Closure& c) {
  const auto or_null = [](const std::string& value) { return value.empty() ? json(nullptr) : json(value); };
  return {{"how", c.how}, {"at", or_null(c.at)}, {"by", or_null(c.by)}, {"detail", c.detail}};
}

class JsonWriter : public ReportWriter {
 public:
  explicit JsonWriter(SealedOutput& out) : out_(out) {}

  void begin(const Header& h) override {
    const json header{{"title", h.title},
                      {"kind", to_string(h.kind)},
                      {"clinic", h.clinic ? json(*h.clinic) : json(nullptr)},
                      {"from", h.from},
                      {"to", h.to},
                      {"generated_at", h.generated_at},
                      {"generated_by", h.generated_by},
                      {"layout", 1}};
    out_.body("{\"report\":" + text(header));
  }

  void begin_section(Section section) override {
    out_.body(",\n\"" + std::string(member_name(section)) + "\":[");
    first_ = true;
  }

  // Stored rows are already what text() would make of them: compact, keys sorted, valid UTF-8.
  void session(const StoredRow& row) override { element(row.text()); }
  void cycle(const StoredRow& row) override { element(row.text()); }
  void recall(const json& recall) override { element(text(recall)); }

  void violation(const json& alert, const Closure& closure) override {
    // The alert as the API shows it, with how it was closed added as one more member.
    auto& b = separate();
    auto alert_text = text(alert);
    alert_text.pop_back();
    b.append(alert_text).append(",\"closure\":").append(text(closure_json(closure))).push_back('}');
    out_.written();
  }

  void end_section(Section) override { out_.body("]"); }

  void end(const Summary& summary, const store::AuditHead&) override {
    out_.body(",\n\"summary\":" + text(summary.to_json()));
  }

  void seal(const Seal& seal) override {
    const json integrity{{"sha256", seal.sha256},
                         {"body_bytes", seal.body_bytes},
                         {"audit_head", {{"seq", seal.head.seq}, {"hash", seal.head.hash}}},
                         {"scheme", seal_scheme},
                         {"checkpoint", seal.checkpoint ? checkpoint::to_json(*seal.checkpoint) : json(nullptr)}};
    out_.footer(",\n\"integrity\":" + text(integrity) + "}\n");
  }

 private:
  std::string& separate() {
    auto& b = out_.buffer();
    b.append(first_ ? "\n" : ",\n");
    first_ = false;
    return b;
  }
  void element(std::string_view row) {
    separate().append(row);
    out_.written();
  }

  SealedOutput& out_;
  bool first_ = true;
};

}  // namespace

std::unique_ptr<ReportWriter> make_json_writer(SealedOutput& out) { return std::make_unique<JsonWriter>(out); }

}  // namespace sterifleet::report
