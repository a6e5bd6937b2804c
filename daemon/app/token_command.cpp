#include "token_command.hpp"

#include <chrono>
#include <set>

#include "sterifleet/crypto/random.hpp"
#include "sterifleet/fleet/journal_actions.hpp"
#include "sterifleet/http/auth.hpp"
#include "sterifleet/protocol/ids.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::app {

int token_create(const TokenRequest& request, std::ostream& out) {
  const auto role = http::parse_role(request.role);
  if (!role) {
    out << "--role: must be one of viewer, manager, auditor, admin\n";
    return 2;
  }
  const std::string name = request.name.empty() ? "cli-" + request.role + "-" + crypto::random_hex(3) : request.name;
  if (!http::valid_token_name(name)) {
    out << "--name: must be 1 to 64 letters, digits, '_', '.', '-' or '@', and not \"bootstrap\"\n";
    return 2;
  }
  std::set<std::string, std::less<>> clinics;
  for (const auto& clinic : request.clinics) {
    if (!protocol::is_valid_id(clinic)) {
      out << "--clinic " << clinic << ": must be 1 to 64 letters, digits, '_', '.' or '-'\n";
      return 2;
    }
    clinics.insert(clinic);
  }
  try {
    const auto store = store::open_sqlite(request.db_path);
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const auto issued =
        http::new_token(name, *role, clinics.empty() ? store::ClinicScope() : store::ClinicScope(clinics), now);
    const fleet::JournalAction created{now, request.actor,
                                       fleet::action::TokenCreated{issued.stored.record, request.cause}};
    const auto commit = fleet::token_commit(*store, created, issued.stored.sha256_hex);
    if (!commit) {
      out << "cannot create the token in " << request.db_path << ": " << commit.error().message << '\n';
      return 1;
    }
    store->commit(*commit);
    const auto scope = clinics.empty() ? std::string("every clinic") : issued.stored.record.clinics.to_json().dump();
    // Scripts take the last word; people read the rest. The secret cannot be shown again.
    out << "created " << request.role << " token " << issued.stored.record.id << " named " << name << " for " << scope
        << " in " << request.db_path << "; keep it secret, it is shown only now:\n"
        << issued.secret << '\n';
    return 0;
  } catch (const std::exception& e) {
    out << "cannot create the token in " << request.db_path << ": " << e.what() << '\n';
    return 1;
  }
}

}  // namespace sterifleet::app
