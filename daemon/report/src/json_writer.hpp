// The JSON layout: one object whose members are the header, one array per section (rows in the API's
// forms), the summary, and last the "integrity" member stating the seal, which the hash does not cover.
#pragma once

#include <memory>

#include "report_writer.hpp"

namespace sterifleet::report {

std::unique_ptr<ReportWriter> make_json_writer(SealedOutput& out);

}  // namespace sterifleet::report
