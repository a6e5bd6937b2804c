// `sterifleet token create`: makes an API token straight in the store, for the first admin of an
// install or when no admin token is at hand. The secret is printed once, as the output's last word.
#pragma once

#include <ostream>
#include <string>

namespace sterifleet::app {

/// Returns the process exit code: 0 created, 1 the store failed, 2 bad role or name (message on `out`).
int token_create(const std::string& db_path, const std::string& role, const std::string& name, std::ostream& out);

}  // namespace sterifleet::app
