// `sterifleet report`: a compliance report made offline, straight from the store (the same report the
// API serves), and `sterifleet report verify`: proof that a report file is genuine and unaltered.
// Making a report appends its audit record (actor "cli"), so the store is opened read-write; that is
// safe while the daemon runs (SQLite serialises the writers and the chain continues where it is).
#pragma once

#include <optional>
#include <ostream>
#include <string>

namespace sterifleet::app {

struct ReportOptions {
  std::string db_path;
  std::optional<std::string> clinic;  ///< none: every clinic
  std::string from;                   ///< RFC 3339 UTC timestamp, or a date (midnight UTC)
  std::string to;
  std::string format;       ///< csv, json or pdf
  std::string out_path;     ///< empty or "-": standard output
  std::string command;      ///< the command line, for the audit record's cause
  std::string signing_key;  ///< the daemon's key file: the report then carries a signed checkpoint; empty: none
};

/// Writes the report (to a file: first to <file>.part, renamed once its audit record is stored).
/// Messages go to `log`. Returns 0 made, 1 the store or the file failed, 2 a bad option.
int report_make(const ReportOptions& options, std::ostream& stdout_stream, std::ostream& log);

/// Prints the verdict to `out`. Returns 0 genuine, 1 not, 2 the store, the file or the public key cannot
/// be read. With `public_key_file` (PEM), a checkpoint signed by another key makes the report not genuine.
int report_verify(const std::string& db_path, const std::string& report_path,
                  const std::optional<std::string>& public_key_file, std::ostream& out);

}  // namespace sterifleet::app
