// What turns a report's content into one format. The content arrives once, in order: the header, then
// each section's rows, then the summary (tallied from the rows, so it comes last) with the audit head,
// then the seal.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "closure.hpp"
#include "sealed_output.hpp"
#include "sterifleet/report/compliance.hpp"
#include "sterifleet/report/format.hpp"
#include "stored_row.hpp"
#include "summary.hpp"

namespace sterifleet::report {

enum class Section { sessions, cycles, violations, recalls };

struct Header {
  std::string title;
  std::optional<std::string> clinic;  ///< none: every clinic
  std::string from;                   ///< RFC 3339, as stored
  std::string to;
  std::string generated_at;
  std::string generated_by;
  Kind kind = Kind::compliance;
  std::string subject;  ///< a recall's: the cycle whose biological indicator read positive
};

/// "north", or "all clinics".
std::string clinic_label(const Header& header);

class ReportWriter {
 public:
  virtual ~ReportWriter() = default;
  virtual void begin(const Header& header) = 0;
  virtual void begin_section(Section section) = 0;
  virtual void session(const StoredRow& row) = 0;
  virtual void cycle(const StoredRow& row) = 0;
  virtual void violation(const nlohmann::json& alert, const Closure& closure) = 0;
  virtual void recall(const nlohmann::json& recall) = 0;
  virtual void end_section(Section section) = 0;
  /// The rest of the body; afterwards the body is closed and hashed. `head` is the audit chain's head
  /// read after the last row, which the PDF prints in its body (CSV and JSON state it in their footer).
  virtual void end(const Summary& summary, const store::AuditHead& head) = 0;
  /// Before end(), when the report carries one: the signed checkpoint of that head. The PDF prints it in
  /// its body; CSV and JSON state it in their footer (seal()).
  virtual void signed_head(const checkpoint::Checkpoint&) {}
  /// The footer stating the seal; the PDF has none (its body is the whole file).
  virtual void seal(const Seal& seal) = 0;
};

/// The end every report shares, after its last row: the audit head read then (every row was committed
/// at or before it), its checkpoint when `sign` is given, the summary, the body closed and hashed, the
/// seal written. Returns the seal and the file's size (counts are the caller's).
Made finish_report(store::Store& store, ReportWriter& writer, SealedOutput& sealed, const Summary& summary,
                   const std::function<checkpoint::Checkpoint(const store::AuditHead&)>& sign);

/// What every report's audit record states of the file: format, sha256, body_bytes, bytes, audit_head,
/// checkpoint (the seal, which report verify checks against the file).
nlohmann::json sealed_file_json(const Made& made, Format format);

/// The writer of `format`; a PDF holds at most `max_pdf_rows` table rows (ReportTooLarge beyond).
std::unique_ptr<ReportWriter> make_writer(Format format, SealedOutput& out, std::size_t max_pdf_rows);

/// The body's integrity statement, the same words in every format.
inline constexpr const char* seal_scheme =
    "sha256 is the SHA-256 of the first body_bytes bytes of this file (everything before this footer); "
    "the audit trail records the report as entity report:<sha256> with the same audit_head";

}  // namespace sterifleet::report
