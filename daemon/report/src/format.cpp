#include "sterifleet/report/format.hpp"

namespace sterifleet::report {

std::string_view to_string(Kind kind) noexcept { return kind == Kind::recall ? "recall" : "compliance"; }

std::string_view to_string(Format format) noexcept {
  switch (format) {
    case Format::csv:
      return "csv";
    case Format::json:
      return "json";
    case Format::pdf:
      return "pdf";
  }
  return "json";
}

std::optional<Format> parse_format(std::string_view text) noexcept {
  for (const auto format : {Format::csv, Format::json, Format::pdf}) {
    if (to_string(format) == text) return format;
  }
  return std::nullopt;
}

std::string_view media_type(Format format) noexcept {
  switch (format) {
    case Format::csv:
      return "text/csv; charset=utf-8; header=present";
    case Format::json:
      return "application/json";
    case Format::pdf:
      return "application/pdf";
  }
  return "application/octet-stream";
}

std::string_view extension(Format format) noexcept { return to_string(format); }

std::string report_entity(std::string_view sha256) { return "report:" + std::string(sha256); }

}  // namespace sterifleet::report
