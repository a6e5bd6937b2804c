#include <stdexcept>

#include "csv_writer.hpp"
#include "json_writer.hpp"
#include "pdf_writer.hpp"
#include "report_writer.hpp"

namespace sterifleet::report {

std::unique_ptr<ReportWriter> make_writer(Format format, SealedOutput& out, std::size_t max_pdf_rows) {
  switch (format) {
    case Format::csv:
      return make_csv_writer(out);
    case Format::json:
      return make_json_writer(out);
    case Format::pdf:
      return make_pdf_writer(out, max_pdf_rows);
  }
  throw std::invalid_argument("unknown report format");
}

}  // namespace sterifleet::report
