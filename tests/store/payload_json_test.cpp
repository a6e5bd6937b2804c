// A kept payload in a JSON row: text when it is UTF-8, its bytes in hex otherwise (a JSON string cannot
// hold what is not UTF-8). The table is the Unicode standard's definition of well-formed UTF-8.
#include <gtest/gtest.h>

#include "sterifleet/store/store.hpp"

namespace sterifleet::store::testing {
namespace {

using nlohmann::json;

json row_for(std::string_view payload) {
  json row = json::object();
  put_payload(row, payload);
  return row;
}

TEST(PutPayload, WellFormedUtf8_IsKeptAsText) {
  for (const std::string_view text : {std::string_view("{\"ts\":1}"), std::string_view(""), std::string_view("a\0b", 3),
                                      std::string_view("K\xc3\xbc"), std::string_view("\xe2\x98\x83"),
                                      std::string_view("\xf0\x9f\x98\x80"), std::string_view("\xf4\x8f\xbf\xbf")}) {
    const auto row = row_for(text);
    EXPECT_EQ(row.at("payload"), std::string(text));
    EXPECT_FALSE(row.contains("payload_hex"));
  }
}

TEST(PutPayload, IllFormedUtf8_IsKeptInHex) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"\xc3\x28 broken", "c3282062726f6b656e"},  // a lead byte without its continuation
      {"\x80", "80"},                             // a continuation byte alone
      {"\xe2\x98", "e298"},                       // cut short at the end
      {"\xc0\xaf", "c0af"},                       // overlong ('/' in two bytes)
      {"\xed\xa0\x80", "eda080"},                 // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", "f4908080"},           // past U+10FFFF
      {"\xff", "ff"},
  };
  for (const auto& [bytes, hex] : cases) {
    const auto row = row_for(bytes);
    EXPECT_EQ(row.at("payload"), nullptr) << hex;
    EXPECT_EQ(row.at("payload_hex"), hex);
  }
}

}  // namespace
}  // namespace sterifleet::store::testing
