#include "sterifleet/http/auth.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "sterifleet/crypto/random.hpp"
#include "sterifleet/crypto/sha256.hpp"

namespace sterifleet::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// A secret is "sft_" and hex, or whatever an operator configured as bootstrap; never whitespace.
bool plausible_secret(std::string_view secret) {
  return !secret.empty() && secret.size() <= 256 &&
         std::all_of(secret.begin(), secret.end(), [](char c) { return c > ' ' && c < 127; });
}

}  // namespace

std::string_view to_string(Role role) noexcept {
  switch (role) {
    case Role::viewer:
      return "viewer";
    case Role::manager:
      return "manager";
    case Role::auditor:
      return "auditor";
    case Role::admin:
      return "admin";
  }
  return "viewer";
}

std::optional<Role> parse_role(std::string_view text) noexcept {
  for (const auto role : {Role::viewer, Role::manager, Role::auditor, Role::admin}) {
    if (to_string(role) == text) return role;
  }
  return std::nullopt;
}

std::string_view to_string(Permission permission) noexcept {
  switch (permission) {
    case Permission::read:
      return "read";
    case Permission::operate:
      return "operate";
    case Permission::audit:
      return "audit";
    case Permission::oversee:
      return "oversee";
    case Permission::administer:
      return "administer";
  }
  return "read";
}

bool allows(Role role, Permission permission) noexcept {
  switch (permission) {
    case Permission::read:
      return true;
    case Permission::operate:
      return role == Role::manager || role == Role::admin;
    case Permission::audit:
      return role == Role::auditor || role == Role::admin;
    case Permission::oversee:
      return role != Role::viewer;
    case Permission::administer:
      return role == Role::admin;
  }
  return false;
}

bool valid_token_name(std::string_view name) noexcept {
  return name != bootstrap_name && !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == '@';
         });
}

IssuedToken new_token(const std::string& name, Role role, store::ClinicScope clinics, protocol::Timestamp now) {
  IssuedToken out;
  out.secret = "sft_" + crypto::random_hex(16);
  out.stored.record = store::TokenRecord{
      "tok_" + crypto::random_hex(6), name, std::string(to_string(role)), now, false, std::move(clinics)};
  out.stored.sha256_hex = crypto::sha256_hex(out.secret);
  return out;
}

Authenticator::Authenticator(store::Store& store, std::string bootstrap) : store_(store) {
  if (!bootstrap.empty()) bootstrap_sha256_ = crypto::sha256_hex(bootstrap);
}

bool Authenticator::is_bootstrap(std::string_view secret) const {
  if (bootstrap_sha256_.empty()) return false;
  // Equal-length digests compared in constant time: the response time says nothing about the secret.
  const std::string presented = crypto::sha256_hex(secret);
  if (!crypto::equal_constant_time(presented, bootstrap_sha256_)) return false;
  const auto tokens = store_.tokens();
  return std::none_of(tokens.begin(), tokens.end(),
                      [](const store::TokenRecord& t) { return t.role == "admin" && !t.revoked && t.clinics.all(); });
}

std::variant<Principal, Authenticator::Failure> Authenticator::authenticate(std::string_view authorization) const {
  if (authorization.empty()) return Failure::missing;
  const auto space = authorization.find(' ');
  if (space == std::string_view::npos || !iequals(authorization.substr(0, space), "Bearer")) {
    return Failure::malformed;
  }
  auto secret = authorization.substr(space + 1);
  while (!secret.empty() && secret.front() == ' ') secret.remove_prefix(1);
  if (!plausible_secret(secret)) return Failure::malformed;
  if (is_bootstrap(secret)) return Principal{std::string(bootstrap_name), Role::admin, {}, {}};
  // The lookup is by digest: timing can at most tell which digests exist, never a secret's bytes.
  const auto record = store_.token_by_hash(crypto::sha256_hex(secret));
  if (!record || record->revoked) return Failure::unknown;
  const auto role = parse_role(record->role);
  if (!role) return Failure::unknown;
  return Principal{record->name, *role, record->id, record->clinics};
}

}  // namespace sterifleet::http
