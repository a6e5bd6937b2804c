// Base64 against RFC 4648 section 10's vectors, and the decoder's refusals.
#include "sterifleet/crypto/base64.hpp"

#include <gtest/gtest.h>

namespace sterifleet::crypto {
namespace {

struct KnownAnswer {
  const char* bytes;
  const char* text;
};

const KnownAnswer rfc4648[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64, EncodesTheRfc4648Vectors) {
  for (const auto& [bytes, text] : rfc4648) EXPECT_EQ(to_base64(std::string_view(bytes)), text) << bytes;
}

TEST(Base64, DecodesTheRfc4648Vectors) {
  for (const auto& [bytes, text] : rfc4648) EXPECT_EQ(from_base64(text), bytes) << text;
}

TEST(Base64, EveryByteRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const auto text = to_base64(all);
  EXPECT_NE(text.find('+'), std::string::npos);
  EXPECT_NE(text.find('/'), std::string::npos);
  EXPECT_EQ(from_base64(text), all);
}

TEST(Base64, DecodingRefusesAnythingButCanonicalPaddedText) {
  for (const char* bad :
       {"Zg", "Zg=", "Zm9vY", "Zg==Zg==", "Z===", "====", "Zm9v\n", " Zm9v", "Zm-v", "Zm_v", "Zh==", "Zm9=", "=Zm9"}) {
    EXPECT_FALSE(from_base64(bad)) << bad;
  }
}

}  // namespace
}  // namespace sterifleet::crypto
