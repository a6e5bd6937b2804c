// `sterifleet export`: the traffic a store holds (accepted messages and quarantined payloads, with their
// receive times and quarantine ids) and the journaled actions of people and the clock, in journal order,
// as the JSON lines `sterifleet replay` reads. Replaying an export judges exactly as the daemon did.
// Opens the store read-only; safe while the daemon runs.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

namespace sterifleet::app {

struct ExportOptions {
  std::string db_path;
  std::optional<std::string> clinic;  ///< only this clinic's messages (actions of the clock are kept)
  std::string from;                   ///< receive time, inclusive (RFC 3339 UTC, or a date); empty: the start
  std::string to;                     ///< exclusive; empty: the end
  std::string format = "jsonl";
};

/// Writes the lines to `out`; messages go to `log`. Returns 0 written, 1 the store failed, 2 a bad option.
int export_traffic(const ExportOptions& options, std::ostream& out, std::ostream& log);

}  // namespace sterifleet::app
