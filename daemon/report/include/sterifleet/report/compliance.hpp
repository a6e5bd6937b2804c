// Compliance reports for auditors. For a clinic (or every clinic) and a period: every session with the
// reprocessing that made it legal (or that none did), every sterilizer cycle with its parameters and
// indicators, every violation and how it was closed, a recall for each positive biological indicator,
// and a summary; as CSV, JSON or PDF. Every report is sealed (format.hpp) and making one appends an
// audit record naming it, so `sterifleet audit verify` and `sterifleet report verify` prove it.
// Layouts, the seal and the record: daemon/report/README.md.
//
// Thread-safety: a report only reads the store, through its query methods (safe beside the daemon's
// commits), so any number may be made at once. The audit record goes to the caller, whose writer
// appends it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sterifleet/engine/effects.hpp"
#include "sterifleet/report/format.hpp"
#include "sterifleet/report/output.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::report {

using protocol::Timestamp;

struct ComplianceRequest {
  std::optional<std::string> clinic;  ///< none: every clinic
  Timestamp from;                     ///< sessions, cycles and alerts at or after it ...
  Timestamp to;                       ///< ... and before it
  Format format = Format::json;
  std::string actor;  ///< who asked, as the audit trail names people: "token:ann", or "cli"
  std::string cause;  ///< what asked: "GET /api/v1/reports/compliance?...", "sterifleet report"
  Timestamp now;      ///< when it is made
  /// A PDF is for reading and printing: past this many table rows, ask for CSV or JSON instead.
  std::size_t max_pdf_rows = 50000;
  /// Signs (and keeps) a checkpoint of the head the report states; empty: the report carries none.
  std::function<checkpoint::Checkpoint(const store::AuditHead&)> sign_checkpoint;
};

struct Counts {
  std::int64_t sessions = 0;
  std::int64_t cycles = 0;
  std::int64_t violations = 0;
  std::int64_t recalls = 0;
};

struct Made {
  Seal seal;
  std::uint64_t bytes = 0;  ///< the whole file, footer included
  Counts counts;
};

/// Writes the report to `out`, then passes `record` the audit record stating it, for the caller to
/// append (the daemon through its one writer; the CLI to the store it opened). A report whose record
/// could not be appended must not be handed out. Throws store::StoreError, ReportTooLarge, and what
/// `out` or `record` throw.
Made make_compliance_report(store::Store& store, const ComplianceRequest& request, Output& out,
                            const std::function<void(const engine::AuditRecord&)>& record);

}  // namespace sterifleet::report
