// SHA-256 against the FIPS 180-2 examples, whole and fed in pieces.
#include "sterifleet/crypto/sha256.hpp"

#include <gtest/gtest.h>

#include "sterifleet/crypto/hex.hpp"

namespace sterifleet::crypto {
namespace {

struct KnownAnswer {
  std::string message;
  const char* digest;
};

const KnownAnswer known_answers[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {std::string(1000000, 'a'), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
};

TEST(Sha256, OneShotMatchesTheFipsExamples) {
  for (const auto& [message, digest] : known_answers) {
    EXPECT_EQ(sha256_hex(message), digest) << message.substr(0, 20);
  }
}

TEST(Sha256, PiecesHashAsTheWhole) {
  for (const auto& [message, digest] : known_answers) {
    Sha256 hasher;
    const std::string_view text = message;
    for (std::size_t at = 0; at < text.size(); at += 7919) hasher.update(text.substr(at, 7919));
    EXPECT_EQ(to_hex(hasher.finish()), digest) << message.substr(0, 20);
  }
}

TEST(Sha256, FinishStartsOver) {
  Sha256 hasher;
  hasher.update("ab");
  EXPECT_EQ(to_hex(hasher.finish()), sha256_hex("ab"));
  EXPECT_EQ(to_hex(hasher.update("abc").finish()), known_answers[1].digest);
  EXPECT_EQ(to_hex(hasher.finish()), known_answers[0].digest);
}

TEST(Sha256, HexArrayIsTheSameHex) {
  const auto digest = sha256("abc");
  const auto fixed = hex_array(digest);
  EXPECT_EQ(std::string_view(fixed.data(), fixed.size()), known_answers[1].digest);
}

TEST(Sha256, ConstantTimeEqualityComparesLengthAndBytes) {
  EXPECT_TRUE(equal_constant_time("abc", "abc"));
  EXPECT_TRUE(equal_constant_time("", ""));
  EXPECT_FALSE(equal_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_constant_time("abc", "abcd"));
}

}  // namespace
}  // namespace sterifleet::crypto
