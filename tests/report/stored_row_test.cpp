// StoredRow reads a stored row's JSON text with simdjson's On-Demand parser and hands back views of that
// text: each member's value as written, nested objects and arrays as rows and elements of their own.
#include "stored_row.hpp"

#include <gtest/gtest.h>

#include "sterifleet/store/store.hpp"

namespace sterifleet::report::testing {
namespace {

TEST(StoredRow, MembersAreTheirValuesAsWritten) {
  const std::string text = R"({"a":"PEN-1","b":1.5,"c":null,"d":true,"e":{"f":[1,2]},"g":[],"h":"x\"y"})";
  const StoredRow row(text);
  EXPECT_EQ(row.member("a"), "\"PEN-1\"");
  EXPECT_EQ(row.member("b"), "1.5");
  EXPECT_EQ(row.member("c"), "null");
  EXPECT_EQ(row.member("e"), R"({"f":[1,2]})");
  EXPECT_EQ(row.member("z"), std::nullopt);
  EXPECT_EQ(row.string("a"), "PEN-1");
  EXPECT_EQ(row.string("h"), "x\"y");
  EXPECT_EQ(row.string("b", "none"), "none");
  EXPECT_TRUE(row.boolean("d", false));
  EXPECT_TRUE(row.boolean("c", true));
  // Views into the text itself: they outlive the parse of the next row.
  const StoredRow other(R"({"a":"PEN-2"})");
  EXPECT_EQ(row.member("a")->data(), text.data() + 5);
}

TEST(StoredRow, NestedObjectsAndArraysAreReadInTurn) {
  const StoredRow row(
      R"({"bi":{"at":"2026-11-24T09:15:02.000Z","result":"positive"},"load":["P-1",{"k":[1]},2,"a\\b"]})");
  const auto bi = row.object("bi");
  ASSERT_TRUE(bi);
  EXPECT_EQ(bi->string("result"), "positive");
  EXPECT_FALSE(row.object("load"));
  EXPECT_EQ(row.elements("load"), (std::vector<std::string_view>{"\"P-1\"", R"({"k":[1]})", "2", R"("a\\b")"}));
  EXPECT_TRUE(row.elements("bi").empty());
  EXPECT_TRUE(row.elements("missing").empty());
}

TEST(StoredRow, KeysAreMatchedAsWrittenAndSpacesAllowed) {
  const StoredRow row(" { \"k\\\"ey\" : 1 , \"b\" :\t[ 1 , 2 ] ,\"c\":\"v\" }\n");
  EXPECT_EQ(row.member("k\\\"ey"), "1");
  EXPECT_EQ(row.elements("b"), (std::vector<std::string_view>{"1", "2"}));
  EXPECT_EQ(row.string("c"), "v");
}

TEST(StoredRow, ManyMembersAreAllFound) {
  std::string text = "{";
  for (int i = 0; i < 40; ++i) text += (i ? ",\"m" : "\"m") + std::to_string(i) + "\":" + std::to_string(i);
  text += "}";
  const StoredRow row(text);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(row.member('m' + std::to_string(i)), std::to_string(i));
}

TEST(StoredRow, WhatIsNotOneJsonObjectIsAStoreError) {
  for (const std::string_view text :
       {"", "[1,2]", "\"text\"", "{\"a\":1", "{\"a\":}", "{\"a\":1} x", "{\"a\":1}}", "{\"a\" 1}", "{a:1}"}) {
    EXPECT_THROW(StoredRow{text}, store::StoreError) << text;
  }
}

}  // namespace
}  // namespace sterifleet::report::testing
