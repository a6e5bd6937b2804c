#include "token_command.hpp"

#include <chrono>

#include "sterifleet/http/auth.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::app {

int token_create(const std::string& db_path, const std::string& role, const std::string& name, std::ostream& out) {
  const auto parsed = http::parse_role(role);
  if (!parsed) {
    out << "--role: must be one of viewer, manager, auditor, admin\n";
    return 2;
  }
  if (!http::valid_token_name(name)) {
    out << "--name: must be 1 to 64 letters, digits, '_', '.', '-' or '@'\n";
    return 2;
  }
  try {
    const auto store = store::open_sqlite(db_path);
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const auto issued = http::issue_token(*store, name, *parsed, now);
    // Scripts take the last word; people read the rest. The secret cannot be shown again.
    out << "created " << role << " token " << issued.record.id << " named " << name << " in " << db_path
        << "; keep it secret, it is shown only now:\n"
        << issued.secret << '\n';
    return 0;
  } catch (const std::exception& e) {
    out << "cannot create the token in " << db_path << ": " << e.what() << '\n';
    return 1;
  }
}

}  // namespace sterifleet::app
