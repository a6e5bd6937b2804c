// RFC 8785 (JCS) against the RFC's own examples, and what it refuses.
#include "sterifleet/store/canonical_json.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace sterifleet::store {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(CanonicalJson, TheRfcExampleIsWrittenAsTheRfcWritesIt) {
  // RFC 8785, section 3.2.2.
  const auto input = json::parse(R"({
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  })");
  EXPECT_EQ(canonical_json(input),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

TEST(CanonicalJson, NumbersAreWrittenAsEcmascriptWritesThem) {
  // RFC 8785, appendix B: IEEE 754 bit patterns and their ECMAScript text.
  const std::pair<std::uint64_t, const char*> table[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const auto& [bits, text] : table) {
    EXPECT_EQ(canonical_json(json(std::bit_cast<double>(bits))), text) << std::hex << bits;
  }
  EXPECT_EQ(canonical_json(json(134.0)), "134");
  EXPECT_EQ(canonical_json(json(0.1)), "0.1");
}

TEST(CanonicalJson, IntegersKeepEveryDigit) {
  EXPECT_EQ(canonical_json(json(std::numeric_limits<std::int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(canonical_json(json(std::numeric_limits<std::uint64_t>::max())), "18446744073709551615");
  EXPECT_EQ(canonical_json(json(1764662400123)), "1764662400123");
}

TEST(CanonicalJson, MembersAreSortedByUtf16CodeUnits) {
  // RFC 8785, section 3.2.3: U+1F600 sorts by its surrogates, below U+FB33.
  const auto input = json::parse(R"({
    "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  })");
  EXPECT_EQ(canonical_json(input),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
            "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
            "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\",\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

TEST(CanonicalJson, OnlyQuotesBackslashesAndControlCharactersAreEscaped) {
  EXPECT_EQ(canonical_json(json("\x01\x1f\x7f\b\t\n\f\r/\"\\\xe2\x80\xa8")),
            "\"\\u0001\\u001f\x7f\\b\\t\\n\\f\\r/\\\"\\\\\xe2\x80\xa8\"");
}

TEST(CanonicalJson, InvalidUtf8IsRefusedWithWhereItIs) {
  // A stray byte, an overlong form, a surrogate, a cut sequence, beyond U+10FFFF.
  const std::string table[] = {"\xff", "ok\xc0\xaf", "\xed\xa0\x80", "ab\xe2\x82", "\xf4\x90\x80\x80"};
  for (const auto& bad : table) {
    const json value{{"after", {{"list", {"fine", bad}}}}};
    try {
      canonical_json(value);
      ADD_FAILURE() << "accepted " << json(bad).dump(-1, ' ', true, json::error_handler_t::replace);
    } catch (const CanonicalJsonError& e) {
      EXPECT_STREQ(e.what(), "/after/list/1: invalid UTF-8");
    }
  }
  EXPECT_THROW(canonical_json(json{{"\xfe", 1}}), CanonicalJsonError);
}

TEST(CanonicalJson, ValuesThatAreNotJsonAreRefused) {
  EXPECT_THROW(canonical_json(json(std::nan(""))), CanonicalJsonError);
  EXPECT_THROW(canonical_json(json{{"x", std::numeric_limits<double>::infinity()}}), CanonicalJsonError);
  EXPECT_THROW(canonical_json(json::binary({1, 2})), CanonicalJsonError);
}

}  // namespace
}  // namespace sterifleet::store
