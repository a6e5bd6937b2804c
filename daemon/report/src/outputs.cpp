#include <ostream>

#include "sterifleet/report/output.hpp"

namespace sterifleet::report {

void StringOutput::write(std::string_view bytes) {
  if (bytes.size() > max_bytes_ - text_.size()) {
    throw ReportTooLarge("the report exceeds " + std::to_string(max_bytes_ / (1024 * 1024)) + " MiB");
  }
  text_.append(bytes);
}

void StreamOutput::write(std::string_view bytes) {
  out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out_) throw std::runtime_error("writing the report failed");
}

}  // namespace sterifleet::report
