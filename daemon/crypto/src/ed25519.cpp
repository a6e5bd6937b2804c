#include "sterifleet/crypto/ed25519.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

namespace sterifleet::crypto {

namespace {

struct BioFree {
  void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

Bio memory_bio(std::string_view text) {
  Bio bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) throw KeyError("OpenSSL could not allocate a buffer");
  return bio;
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

struct PkeyFree {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};

struct MdContextFree {
  void operator()(EVP_MD_CTX* context) const noexcept { EVP_MD_CTX_free(context); }
};
using MdContext = std::unique_ptr<EVP_MD_CTX, MdContextFree>;

PublicKey raw_public_key(EVP_PKEY* key) {
  PublicKey out{};
  std::size_t length = out.size();
  if (EVP_PKEY_get_raw_public_key(key, out.data(), &length) != 1 || length != out.size()) {
    throw KeyError("OpenSSL could not read the Ed25519 public key");
  }
  return out;
}

void write_new_file(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  // O_EXCL: two daemons starting at once must not both write (and one overwrite the other's) key.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    throw std::filesystem::filesystem_error("cannot create", path, std::error_code(errno, std::generic_category()));
  // The umask may have taken bits away, never added them; fchmod makes the mode exactly the one asked.
  bool ok = ::fchmod(fd, mode) == 0;
  std::size_t written = 0;
  while (ok && written < text.size()) {
    const auto n = ::write(fd, text.data() + written, text.size() - written);
    ok = n > 0;
    if (ok) written += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  if (!ok)
    throw std::filesystem::filesystem_error("cannot write", path, std::error_code(error, std::generic_category()));
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw std::filesystem::filesystem_error("cannot read", path, std::make_error_code(std::errc::io_error));
  return text.str();
}

}  // namespace

SigningKey::SigningKey(evp_pkey_st* key) : key_(key, EVP_PKEY_free), public_key_(raw_public_key(key)) {}

SigningKey SigningKey::generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!key) throw KeyError("OpenSSL could not generate an Ed25519 key");
  return SigningKey(key);
}

SigningKey SigningKey::from_pem(std::string_view pem) {
  const auto bio = memory_bio(pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!key) throw KeyError("not a PEM private key");
  if (EVP_PKEY_is_a(key, "ED25519") != 1) {
    EVP_PKEY_free(key);
    throw KeyError("not an Ed25519 key");
  }
  return SigningKey(key);
}

std::string SigningKey::to_pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw KeyError("OpenSSL could not write the key as PEM");
  }
  return drain(bio.get());
}

Signature SigningKey::sign(std::string_view message) const {
  MdContext context(EVP_MD_CTX_new());
  Signature out{};
  std::size_t length = out.size();
  // Ed25519 hashes internally: no digest is named, and the message is signed in one call.
  if (!context || EVP_DigestSignInit_ex(context.get(), nullptr, nullptr, nullptr, nullptr, key_.get(), nullptr) != 1 ||
      EVP_DigestSign(context.get(), out.data(), &length, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      length != out.size()) {
    throw KeyError("OpenSSL failed to sign with Ed25519");
  }
  return out;
}

std::optional<PublicKey> public_key_from_pem(std::string_view pem) {
  const auto bio = memory_bio(pem);
  std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_is_a(key.get(), "ED25519") != 1) return std::nullopt;
  return raw_public_key(key.get());
}

std::string public_key_to_pem(const PublicKey& raw) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, raw.data(), raw.size()));
  Bio bio(BIO_new(BIO_s_mem()));
  if (!key || !bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) {
    throw KeyError("OpenSSL could not write the public key as PEM");
  }
  return drain(bio.get());
}

bool verify_signature(const PublicKey& raw, std::string_view message, std::span<const unsigned char> signature) {
  if (signature.size() != std::tuple_size_v<Signature>) return false;
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, raw.data(), raw.size()));
  MdContext context(EVP_MD_CTX_new());
  if (!key || !context ||
      EVP_DigestVerifyInit_ex(context.get(), nullptr, nullptr, nullptr, nullptr, key.get(), nullptr) != 1) {
    throw KeyError("OpenSSL could not start an Ed25519 verification");
  }
  return EVP_DigestVerify(context.get(), signature.data(), signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

KeyFile load_or_create_key_file(const std::filesystem::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    if (errno != ENOENT) {
      throw std::filesystem::filesystem_error("cannot read", path, std::error_code(errno, std::generic_category()));
    }
    auto key = SigningKey::generate();
    write_new_file(path, key.to_pem(), 0600);
    std::filesystem::path public_path = path;
    public_path += ".pub";
    std::filesystem::remove(public_path);  // a stale one would name another key
    write_new_file(public_path, public_key_to_pem(key.public_key()), 0644);
    return {std::move(key), true};
  }
  if ((status.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    throw KeyError("the signing key " + path.string() +
                   " may be read or written by others than its owner (chmod 600 it, or make a new one)");
  }
  try {
    return {SigningKey::from_pem(read_file(path)), false};
  } catch (const KeyError& e) {
    throw KeyError("the signing key " + path.string() + " is " + e.what());
  }
}

}  // namespace sterifleet::crypto
