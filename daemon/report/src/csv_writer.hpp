// The CSV layout (RFC 4180, CRLF): one file of sections. Every record's first field names its section;
// each section's first record is its header. Grep a section out and it is a CSV of its own.
#pragma once

#include <memory>

#include "report_writer.hpp"

namespace sterifleet::report {

std::unique_ptr<ReportWriter> make_csv_writer(SealedOutput& out);

}  // namespace sterifleet::report
