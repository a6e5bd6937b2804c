// Ids match [A-Za-z0-9_.-]{1,64} (section 3.1 of the spec); the charset keeps names and e-mail
// addresses out of the patient field.
#include "sterifleet/protocol/ids.hpp"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>

namespace sterifleet::protocol {
namespace {

TEST(IsValidId, AcceptsOneToSixtyFourCharacters) {
  EXPECT_TRUE(is_valid_id("a"));
  EXPECT_TRUE(is_valid_id(std::string(63, 'x')));
  EXPECT_TRUE(is_valid_id(std::string(64, 'x')));
}

TEST(IsValidId, RejectsEmptyAndSixtyFiveCharacters) {
  EXPECT_FALSE(is_valid_id(""));
  EXPECT_FALSE(is_valid_id(std::string(65, 'x')));
  EXPECT_FALSE(is_valid_id(std::string(1000, 'x')));
}

TEST(IsValidId, AcceptsTheWholeCharset) {
  EXPECT_TRUE(is_valid_id("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
  EXPECT_TRUE(is_valid_id("abcdefghijklmnopqrstuvwxyz0123456789_.-"));
  EXPECT_TRUE(is_valid_id("."));
  EXPECT_TRUE(is_valid_id("-"));
  EXPECT_TRUE(is_valid_id("S-20261124-0042"));
}

TEST(IsValidId, RejectsEverythingElse) {
  for (const std::string text : {"PEN 0001", "jane@example.org", "a/b", "a+b", "#", "tab\there", "new\nline",
                                 "caf\xc3\xa9", "quote\"", "back\\slash", "colon:", "trailing "}) {
    EXPECT_FALSE(is_valid_id(text)) << text;
  }
  EXPECT_FALSE(is_valid_id(std::string("nul\0byte", 8)));
}

TEST(IsValidId, EveryByteOutsideTheCharsetIsRejected) {
  int accepted = 0;
  for (int byte = 0; byte < 256; ++byte) {
    const std::string text(1, static_cast<char>(byte));
    if (is_valid_id(text)) ++accepted;
  }
  EXPECT_EQ(accepted, 26 + 26 + 10 + 3);
}

TEST(Id, IsCaseSensitiveAndHashable) {
  EXPECT_NE(DeviceId{"PEN-0001"}, DeviceId{"pen-0001"});
  EXPECT_LT(DeviceId{"PEN-0001"}, DeviceId{"PEN-0002"});
  const std::unordered_set<DeviceId> devices{DeviceId{"PEN-0001"}, DeviceId{"PEN-0001"}, DeviceId{"pen-0001"}};
  EXPECT_EQ(devices.size(), 2u);
}

}  // namespace
}  // namespace sterifleet::protocol
