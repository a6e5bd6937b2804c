#include "sha256_stream.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace sterifleet::report {

namespace {

void check(int ok, const char* what) {
  if (ok != 1) throw std::runtime_error(std::string("OpenSSL failed to ") + what + " a SHA-256");
}

}  // namespace

Sha256Stream::Sha256Stream() : context_(EVP_MD_CTX_new()) {
  if (!context_) throw std::runtime_error("OpenSSL could not allocate a digest context");
  check(EVP_DigestInit_ex2(context_, EVP_sha256(), nullptr), "start");
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(context_); }

void Sha256Stream::update(std::string_view bytes) {
  check(EVP_DigestUpdate(context_, bytes.data(), bytes.size()), "update");
}

std::string Sha256Stream::finish_hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  check(EVP_DigestFinal_ex(context_, md, &length), "finish");
  check(EVP_DigestInit_ex2(context_, EVP_sha256(), nullptr), "restart");
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(digits[md[i] >> 4]);
    out.push_back(digits[md[i] & 0xF]);
  }
  return out;
}

}  // namespace sterifleet::report
