// Where a report's bytes go: a string (the API answers with it) or a stream (a file, stdout). Reports are
// written front to back once, so a stream never holds more than a buffer of one.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sterifleet::report {

/// The report would exceed a limit (the caller's byte limit, the PDF row limit). Nothing was recorded.
class ReportTooLarge : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Output {
 public:
  virtual ~Output() = default;
  /// Throws ReportTooLarge or std::runtime_error (a write failed).
  virtual void write(std::string_view bytes) = 0;
};

/// Collects the report in memory, up to `max_bytes`.
class StringOutput : public Output {
 public:
  explicit StringOutput(std::uint64_t max_bytes = std::numeric_limits<std::uint64_t>::max()) : max_bytes_(max_bytes) {}
  void write(std::string_view bytes) override;
  std::string& text() { return text_; }

 private:
  std::uint64_t max_bytes_;
  std::string text_;
};

/// Passes the report on to a stream; a stream in a failed state is a write error.
class StreamOutput : public Output {
 public:
  explicit StreamOutput(std::ostream& out) : out_(out) {}
  void write(std::string_view bytes) override;

 private:
  std::ostream& out_;
};

}  // namespace sterifleet::report
