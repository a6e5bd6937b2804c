// Ed25519 against RFC 8032's test 1 (section 7.1), keys through PEM both ways, and the key file the
// daemon keeps: made 0600 once, read back the same, refused when others may read it.
#include "sterifleet/crypto/ed25519.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sterifleet/crypto/hex.hpp"
#include "sterifleet/crypto/random.hpp"

namespace sterifleet::crypto {
namespace {

namespace fs = std::filesystem;

// RFC 8032 7.1 TEST 1's secret key as PKCS#8, and its public key as SubjectPublicKeyInfo (openssl pkey).
constexpr std::string_view rfc8032_private_pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";
constexpr std::string_view rfc8032_public_pem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "-----END PUBLIC KEY-----\n";
constexpr std::string_view rfc8032_public = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view rfc8032_signature =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe2465"
    "5141438e7a100b";

TEST(Ed25519, SignsRfc8032Test1) {
  const auto key = SigningKey::from_pem(rfc8032_private_pem);
  EXPECT_EQ(to_hex(key.public_key()), rfc8032_public);
  EXPECT_EQ(to_hex(key.sign("")), rfc8032_signature);
}

TEST(Ed25519, VerifiesOnlyTheSignedMessageUnderItsKey) {
  const auto key = SigningKey::generate();
  const auto signature = key.sign("seq 7");
  EXPECT_TRUE(verify_signature(key.public_key(), "seq 7", signature));
  EXPECT_FALSE(verify_signature(key.public_key(), "seq 8", signature));
  EXPECT_FALSE(verify_signature(SigningKey::generate().public_key(), "seq 7", signature));
  auto flipped = signature;
  flipped[10] ^= 1;
  EXPECT_FALSE(verify_signature(key.public_key(), "seq 7", flipped));
  EXPECT_FALSE(verify_signature(key.public_key(), "seq 7", std::span(signature).first(63)));
}

TEST(Ed25519, PemRoundTrips) {
  const auto key = SigningKey::generate();
  EXPECT_EQ(SigningKey::from_pem(key.to_pem()).public_key(), key.public_key());
  EXPECT_EQ(public_key_from_pem(rfc8032_public_pem), SigningKey::from_pem(rfc8032_private_pem).public_key());
  EXPECT_EQ(public_key_from_pem(public_key_to_pem(key.public_key())), key.public_key());
}

TEST(Ed25519, OtherTextIsNoKey) {
  EXPECT_THROW(SigningKey::from_pem("not a key"), KeyError);
  EXPECT_THROW(SigningKey::from_pem(rfc8032_public_pem), KeyError);
  EXPECT_FALSE(public_key_from_pem("not a key"));
  EXPECT_FALSE(public_key_from_pem(rfc8032_private_pem));
}

class KeyFileTest : public ::testing::Test {
 protected:
  KeyFileTest() : dir_(fs::temp_directory_path() / ("sterifleet-key-" + random_hex(8))) { fs::create_directory(dir_); }
  ~KeyFileTest() override { fs::remove_all(dir_); }
  static unsigned mode(const fs::path& path) {
    struct stat status {};
    EXPECT_EQ(::stat(path.c_str(), &status), 0);
    return status.st_mode & 0777;
  }
  fs::path dir_;
};

TEST_F(KeyFileTest, FirstStartMakesThePrivateKey0600AndThePublicKeyBeside) {
  const auto path = dir_ / "audit.key";
  const auto made = load_or_create_key_file(path);
  EXPECT_TRUE(made.created);
  EXPECT_EQ(mode(path), 0600u);
  std::ifstream pub(path.string() + ".pub");
  std::ostringstream pem;
  pem << pub.rdbuf();
  EXPECT_EQ(public_key_from_pem(pem.str()), made.key.public_key());

  const auto again = load_or_create_key_file(path);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.key.public_key(), made.key.public_key());
}

TEST_F(KeyFileTest, KeyOthersMayReadIsRefused) {
  const auto path = dir_ / "audit.key";
  load_or_create_key_file(path);
  fs::permissions(path, fs::perms::group_read, fs::perm_options::add);
  EXPECT_THROW(load_or_create_key_file(path), KeyError);
}

TEST_F(KeyFileTest, FileThatIsNoKeyIsRefused) {
  const auto path = dir_ / "audit.key";
  std::ofstream(path) << "hello\n";
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  EXPECT_THROW(load_or_create_key_file(path), KeyError);
}

}  // namespace
}  // namespace sterifleet::crypto
