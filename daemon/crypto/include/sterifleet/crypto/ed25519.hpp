// Ed25519 signatures (RFC 8032) on OpenSSL's EVP interface: the daemon signs audit checkpoints with a key
// kept in a file outside its store, and anyone holding the public key checks them.
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

struct evp_pkey_st;

namespace sterifleet::crypto {

using PublicKey = std::array<unsigned char, 32>;
using Signature = std::array<unsigned char, 64>;

/// A key that cannot be read, made or kept: the text is not an Ed25519 key, the file is readable by
/// others, OpenSSL failed.
class KeyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An Ed25519 private key. Signing is thread-safe (OpenSSL's key is not changed by it).
class SigningKey {
 public:
  /// A new key from OpenSSL's generator.
  static SigningKey generate();
  /// From PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----", what `openssl genpkey -algorithm ed25519` writes).
  static SigningKey from_pem(std::string_view pem);

  /// PKCS#8 PEM, unencrypted.
  std::string to_pem() const;
  const PublicKey& public_key() const { return public_key_; }
  Signature sign(std::string_view message) const;

 private:
  explicit SigningKey(evp_pkey_st* key);

  std::shared_ptr<evp_pkey_st> key_;
  PublicKey public_key_{};
};

/// The key a SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----", `openssl pkey -pubout`) holds; none
/// when it is not one of an Ed25519 key.
std::optional<PublicKey> public_key_from_pem(std::string_view pem);
std::string public_key_to_pem(const PublicKey& key);

/// Whether `signature` is `key`'s over `message`. False for a signature of the wrong length.
bool verify_signature(const PublicKey& key, std::string_view message, std::span<const unsigned char> signature);

/// The key in `path`, made there first if there is no file: written 0600 (and never over an existing
/// file), with the public key beside it in "<path>.pub" (0644) for auditors to pin. Throws KeyError when
/// the file is not an Ed25519 key or can be read or written by others than its owner (a key others
/// may have read proves nothing), std::filesystem::filesystem_error when it cannot be read or written.
struct KeyFile {
  SigningKey key;
  bool created = false;
};
KeyFile load_or_create_key_file(const std::filesystem::path& path);

}  // namespace sterifleet::crypto
