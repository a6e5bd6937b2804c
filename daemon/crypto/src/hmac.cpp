#include "sterifleet/crypto/hmac.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace sterifleet::crypto {

Digest hmac_sha256(std::string_view key, std::string_view data) {
  Digest out{};
  std::size_t length = 0;
  const unsigned char* const signed_bytes = reinterpret_cast<const unsigned char*>(data.data());
  if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(), signed_bytes, data.size(),
                 out.data(), out.size(), &length)) {
    throw std::runtime_error("OpenSSL failed to compute an HMAC-SHA256");
  }
  if (length != out.size()) throw std::runtime_error("OpenSSL's HMAC-SHA256 is not 32 bytes long");
  return out;
}

}  // namespace sterifleet::crypto
