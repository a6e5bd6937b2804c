// `sterifleet audit verify`: walks the hash-chained audit trail of a store and says whether it is intact,
// or which record is the first one altered; given saved checkpoints (daemon/checkpoint), also whether
// the store still holds the history they signed and grew only by appending. Opens the store read-only;
// safe while the daemon runs.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace sterifleet::app {

/// Exit codes of `sterifleet audit verify` (documented in the README's auditor section).
enum AuditExit : int {
  audit_intact = 0,              ///< the chain is intact and every checkpoint holds
  audit_altered = 1,             ///< a record is altered or missing, or the history differs from a checkpoint
  audit_unreadable = 2,          ///< the store, a checkpoint file or the public key cannot be read
  audit_checkpoint_refused = 3,  ///< nothing altered, but a checkpoint is not one to trust (or there is none)
};

struct AuditVerifyOptions {
  std::string db_path;
  std::vector<std::string> checkpoint_files;   ///< JSON Lines, one checkpoint a line
  std::optional<std::string> public_key_file;  ///< PEM; checkpoints signed by another key are refused
};

/// Prints a human report to `out` and returns an AuditExit.
int audit_verify(const AuditVerifyOptions& options, std::ostream& out);

}  // namespace sterifleet::app
