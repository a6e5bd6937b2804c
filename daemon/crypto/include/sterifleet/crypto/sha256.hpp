// SHA-256 on OpenSSL's EVP interface: whole or in pieces, as bytes or lower-case hex. Audit chains,
// token digests, snapshot checksums and report seals all hash here.
#pragma once

#include <array>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace sterifleet::crypto {

using Digest = std::array<unsigned char, 32>;

/// Incremental SHA-256 whose context is reused: finish() starts it over, so a verifier hashing a
/// million records allocates one context. Not thread-safe: one per thread. Throws std::runtime_error
/// when OpenSSL fails (it does not, short of running out of memory).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& update(std::string_view bytes);
  /// The digest of everything given since construction or the last finish().
  Digest finish();

 private:
  evp_md_ctx_st* context_;
};

Digest sha256(std::string_view bytes);
/// 64 lower-case hex digits.
std::string sha256_hex(std::string_view bytes);

/// Compares in time that depends only on the length: for digests of secrets.
bool equal_constant_time(std::string_view a, std::string_view b) noexcept;

}  // namespace sterifleet::crypto
