// HMAC-SHA256 against RFC 4231's test cases 1, 2 and 6 (short key, key shorter than the digest, key
// longer than a block).
#include "sterifleet/crypto/hmac.hpp"

#include <gtest/gtest.h>

#include "sterifleet/crypto/hex.hpp"

namespace sterifleet::crypto {
namespace {

struct KnownAnswer {
  const char* name;
  std::string key;
  std::string data;
  const char* mac;
};

const KnownAnswer rfc4231[] = {
    {"case 1", std::string(20, '\x0b'), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {"case 2", "Jefe", "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {"case 6", std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
};

TEST(HmacSha256, MatchesRfc4231) {
  for (const auto& [name, key, data, mac] : rfc4231) EXPECT_EQ(to_hex(hmac_sha256(key, data)), mac) << name;
}

// Not in the RFC; the value every HMAC-SHA256 implementation gives for an empty key and message.
TEST(HmacSha256, EmptyKeyIsAKey) {
  EXPECT_EQ(to_hex(hmac_sha256("", "")), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

}  // namespace
}  // namespace sterifleet::crypto
