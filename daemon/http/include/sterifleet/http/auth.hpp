// Who may call the API: bearer tokens (random secrets kept only as SHA-256 in the store), the four
// roles and what each may do. Thread-safe: an Authenticator only reads the store.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "sterifleet/store/store.hpp"

namespace sterifleet::http {

enum class Role { viewer, manager, auditor, admin };
std::string_view to_string(Role role) noexcept;
std::optional<Role> parse_role(std::string_view text) noexcept;

/// What a route needs. Roles are not a ladder: a manager acts on alerts, an auditor reads the trail.
/// `oversee` (manager, auditor, admin) reads the delivery of notifications, which names receivers.
enum class Permission { read, operate, audit, oversee, administer };
/// Every permission, so a caller can list what a role holds by asking allows() of each.
inline constexpr std::array all_permissions{Permission::read, Permission::operate, Permission::audit,
                                            Permission::oversee, Permission::administer};
std::string_view to_string(Permission permission) noexcept;
bool allows(Role role, Permission permission) noexcept;

/// An authenticated caller. Its actor is what the audit trail records for its writes: "token:<name>",
/// one token for ever, since names are unique and never reused (and "bootstrap", the configured
/// bootstrap secret's name, is no token's).
struct Principal {
  std::string name;
  Role role = Role::viewer;
  std::string token_id;          ///< empty for the bootstrap token
  store::ClinicScope clinics{};  ///< what it sees and acts on; other clinics' records do not exist for it
  std::string actor() const { return "token:" + name; }
};

/// The name of the bootstrap secret's principal; no token may take it.
inline constexpr std::string_view bootstrap_name = "bootstrap";

/// A token name: what the audit trail shows, so it must be readable and unambiguous.
bool valid_token_name(std::string_view name) noexcept;

struct IssuedToken {
  store::NewToken stored;  ///< the record and its secret's SHA-256, for fleet::Fleet::create_token
  std::string secret;      ///< "sft_" + 32 hex digits (128 random bits); shown once, stored nowhere
};

/// Makes a token (a new id and secret); it is stored by fleet::Fleet::create_token.
IssuedToken new_token(const std::string& name, Role role, store::ClinicScope clinics, protocol::Timestamp now);

class Authenticator {
 public:
  /// `bootstrap`: an admin secret from the configuration, accepted while the store holds no active
  /// admin token for every clinic (so a fresh install can create one, and a leaked config is not a
  /// permanent key).
  Authenticator(store::Store& store, std::string bootstrap);

  enum class Failure { missing, malformed, unknown };
  /// `authorization`: the Authorization header's value (or "Bearer " + a query token for the stream).
  std::variant<Principal, Failure> authenticate(std::string_view authorization) const;

 private:
  bool is_bootstrap(std::string_view secret) const;

  store::Store& store_;
  std::string bootstrap_sha256_;  ///< empty: no bootstrap token configured
};

}  // namespace sterifleet::http
