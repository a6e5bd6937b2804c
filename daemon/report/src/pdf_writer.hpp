// The PDF layout: A4 landscape; a first page with the title, clinic, period and summary tables; then
// the sessions, cycles, violations and recalls as tables; "page i of n" on every page; and a last page
// stating the audit head the report was sealed at (its hash covers the whole file, as cairo wrote it:
// sealed_output.hpp). The rows are held until the end,
// so a PDF has a row limit; CSV and JSON stream.
#pragma once

#include <cstddef>
#include <memory>

#include "report_writer.hpp"

namespace sterifleet::report {

std::unique_ptr<ReportWriter> make_pdf_writer(SealedOutput& out, std::size_t max_rows);

}  // namespace sterifleet::report
