#include "sterifleet/crypto/random.hpp"

#include <gtest/gtest.h>

#include <set>

namespace sterifleet::crypto {
namespace {

TEST(Random, HexHasTwoDigitsAByte) {
  const auto hex = random_hex(16);
  EXPECT_EQ(hex.size(), 32U);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(random_bytes(0), "");
}

TEST(Random, DrawsDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(random_hex(8)).second);
}

}  // namespace
}  // namespace sterifleet::crypto
