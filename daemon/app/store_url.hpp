// What a message may show of a store's place: a PostgreSQL URL can carry a password.
#pragma once

#include <string>
#include <string_view>

namespace sterifleet::app {

/// A postgresql:// or postgres:// URL (else the place is a SQLite file).
bool is_postgresql_url(std::string_view place);

/// `message` with every occurrence of `url`'s password (in its user info or a password= parameter)
/// replaced by ***, and trailing white space removed.
std::string masked(std::string message, std::string_view url);

}  // namespace sterifleet::app
