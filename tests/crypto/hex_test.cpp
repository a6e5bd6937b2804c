#include "sterifleet/crypto/hex.hpp"

#include <gtest/gtest.h>

namespace sterifleet::crypto {
namespace {

TEST(Hex, EveryByteIsTwoLowerCaseDigits) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const auto hex = to_hex(all);
  EXPECT_EQ(hex.size(), 512U);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(hex.substr(504), "fcfdfeff");
  EXPECT_EQ(from_hex(hex), all);
}

TEST(Hex, DecodingTakesEitherCase) { EXPECT_EQ(from_hex("C3a9"), "\xc3\xa9"); }

TEST(Hex, DecodingRefusesOddLengthsAndNonDigits) {
  EXPECT_EQ(from_hex(""), "");
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("0g"));
  EXPECT_FALSE(from_hex("+1"));
  EXPECT_FALSE(from_hex(" 1"));
}

}  // namespace
}  // namespace sterifleet::crypto
