// The daemon's one source of unguessable ids and secrets: OpenSSL's generator, written as hex.
#pragma once

#include <cstddef>
#include <string>

namespace sterifleet::fleet {

/// `bytes` random bytes as lower-case hex (twice as many digits). Throws std::runtime_error when the
/// system's generator fails: an id that might repeat is worse than none.
std::string random_hex(std::size_t bytes);

}  // namespace sterifleet::fleet
