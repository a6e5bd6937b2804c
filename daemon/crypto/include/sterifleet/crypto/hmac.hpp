// HMAC-SHA256 on OpenSSL: how the daemon signs what it sends (webhook signatures) so a receiver holding
// the shared secret can tell the message came from us unaltered.
#pragma once

#include <string_view>

#include "sterifleet/crypto/sha256.hpp"

namespace sterifleet::crypto {

/// HMAC-SHA256 of `data` under `key` (any length, empty included: RFC 2104 pads or hashes it).
/// Thread-safe. Throws std::runtime_error when OpenSSL fails (it does not, short of running out of memory).
Digest hmac_sha256(std::string_view key, std::string_view data);

}  // namespace sterifleet::crypto
