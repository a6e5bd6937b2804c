// The daemon's one source of unguessable ids and secrets: OpenSSL's generator.
#pragma once

#include <cstddef>
#include <string>

namespace sterifleet::crypto {

/// `count` random bytes. Throws std::runtime_error when the system's generator fails: an id that might
/// repeat is worse than none.
std::string random_bytes(std::size_t count);

/// `count` random bytes as lower-case hex (twice as many digits).
std::string random_hex(std::size_t count);

}  // namespace sterifleet::crypto
