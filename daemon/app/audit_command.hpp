// `sterifleet audit verify <db>`: walks the hash-chained audit trail of a store and says whether it is
// intact, or which record is the first one altered. Opens the store read-only; safe while the daemon runs.
#pragma once

#include <iosfwd>
#include <string>

namespace sterifleet::app {

/// Prints a human report to `out`. Returns 0 when the trail is intact, 1 when it has been altered
/// (naming the seq, entity and action of the first bad record), 2 when the store cannot be read.
int audit_verify(const std::string& db_path, std::ostream& out);

}  // namespace sterifleet::app
