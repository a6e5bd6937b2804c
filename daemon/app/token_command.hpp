// `sterifleet token create`: makes an API token straight in the store, for the first admin of an
// install or when no admin token is at hand. Stored as the API stores one: with its journal entry and
// its audit record in one commit. The secret is printed once, as the output's last word.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace sterifleet::app {

struct TokenRequest {
  std::string db_path;
  std::string role;
  std::string name;                  ///< empty: "cli-<role>-<6 random hex digits>"
  std::vector<std::string> clinics;  ///< empty: every clinic
  std::string actor;                 ///< who runs the command ("cli:<user>"), for the audit trail
  std::string cause;                 ///< the command line
};

/// Returns the process exit code: 0 created, 1 the store failed or refused (a name taken), 2 a bad role,
/// name or clinic (message on `out`).
int token_create(const TokenRequest& request, std::ostream& out);

}  // namespace sterifleet::app
