#include "sterifleet/crypto/sha256.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>
#include <string>

#include "sterifleet/crypto/hex.hpp"

namespace sterifleet::crypto {

namespace {

// Fetched once: an implicit fetch per digest costs more than hashing a short record.
const EVP_MD* method() {
  static const EVP_MD* const fetched = [] {
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!md) throw std::runtime_error("OpenSSL has no SHA-256");
    return md;  // kept for the life of the process
  }();
  return fetched;
}

void check(int ok, const char* what) {
  if (ok != 1) throw std::runtime_error(std::string("OpenSSL failed to ") + what + " a SHA-256");
}

}  // namespace

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (!context_) throw std::runtime_error("OpenSSL could not allocate a digest context");
  check(EVP_DigestInit_ex2(context_, method(), nullptr), "start");
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_); }

Sha256& Sha256::update(std::string_view bytes) {
  check(EVP_DigestUpdate(context_, bytes.data(), bytes.size()), "update");
  return *this;
}

Digest Sha256::finish() {
  Digest out{};
  unsigned int length = 0;
  check(EVP_DigestFinal_ex(context_, out.data(), &length), "finish");
  if (length != out.size()) throw std::runtime_error("OpenSSL's SHA-256 is not 32 bytes long");
  check(EVP_DigestInit_ex2(context_, method(), nullptr), "restart");
  return out;
}

Digest sha256(std::string_view bytes) {
  thread_local Sha256 hasher;
  return hasher.update(bytes).finish();
}

std::string sha256_hex(std::string_view bytes) { return to_hex(sha256(bytes)); }

bool equal_constant_time(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace sterifleet::crypto
