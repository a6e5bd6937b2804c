// A recall report: for one cycle whose biological indicator read positive, the cycles it recalls, the
// devices in their loads and every session to review (the patients to contact), as CSV or PDF, sealed and
// recorded in the audit trail like a compliance report, so `sterifleet report verify` proves it too.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "sterifleet/report/compliance.hpp"

namespace sterifleet::report {

/// The cycle is not in the store, or its biological indicator did not read positive.
class NoRecall : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RecallRequest {
  std::string cycle;  ///< "<sterilizer>/<cycle>"
  Format format = Format::pdf;
  std::string actor;  ///< as the audit trail names people: "token:ann", or "cli"
  std::string cause;  ///< what asked: "GET /api/v1/recalls/...", "sterifleet report recall"
  Timestamp now;      ///< when it is made: sessions are traced up to it
  std::size_t max_pdf_rows = 50000;
  std::function<checkpoint::Checkpoint(const store::AuditHead&)> sign_checkpoint;
  /// Changes the traced sessions before they are written (a viewer's report withholds patient references
  /// off the policy's pattern); empty: written as stored.
  std::function<void(nlohmann::json& sessions)> redact;
};

/// Writes the report to `out`, then passes `record` the audit record stating it (make_compliance_report's
/// contract). The record's clinic is the sterilizer's. Throws NoRecall, store::StoreError, ReportTooLarge
/// and what `out` or `record` throw.
Made make_recall_report(store::Store& store, const RecallRequest& request, Output& out,
                        const std::function<void(const engine::AuditRecord&)>& record);

}  // namespace sterifleet::report
