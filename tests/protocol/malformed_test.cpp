// Every row of malformed.json must be rejected with exactly its reason code and JSON Pointer path,
// and with a detail sentence that names what was wrong. The table is shared with schema_test.py.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/command.hpp"
#include "test_files.hpp"

namespace sterifleet::protocol {
namespace {

using json = nlohmann::json;
using testing::malformed_table_path;
using testing::read_file;

struct MalformedCase {
  std::string name;
  std::string topic;
  bool is_command = false;  // decode_command(payload) instead of decode(topic, payload)
  std::string payload;
  std::string reason;
  std::string path;
  std::string detail;  // a substring of the error's detail
};

// Test names already say which row failed; the payload may be 16 KB.
void PrintTo(const MalformedCase& c, std::ostream* out) { *out << c.name; }

// Replaces each marker by `count` copies of `item` ({i} becomes the 0-based index) joined by `separator`.
std::string expand(std::string payload, const json& expansions) {
  for (const auto& e : expansions) {
    const auto marker = e.at("marker").get<std::string>();
    const auto item = e.at("item").get<std::string>();
    const auto separator = e.at("separator").get<std::string>();
    std::string text;
    for (int i = 0; i < e.at("count").get<int>(); ++i) {
      std::string copy = item;
      if (const auto at = copy.find("{i}"); at != std::string::npos) copy.replace(at, 3, std::to_string(i));
      text += (i == 0 ? "" : separator) + copy;
    }
    for (auto at = payload.find(marker); at != std::string::npos; at = payload.find(marker, at + text.size())) {
      payload.replace(at, marker.size(), text);
    }
  }
  return payload;
}

json load_table() { return json::parse(read_file(malformed_table_path)); }

std::vector<MalformedCase> read_cases() {
  const json table = load_table();
  std::vector<MalformedCase> cases;
  for (const auto& row : table.at("cases")) {
    cases.push_back({row.at("name"), row.at("topic"), row.value("decoder", "") == "command",
                     expand(row.at("payload"), row.value("expand", json::array())), row.at("reason"), row.at("path"),
                     row.at("detail")});
  }
  return cases;
}

std::vector<MalformedCase> load_cases() {
  try {
    return read_cases();
  } catch (const std::exception&) {
    return {};  // MalformedTable.Loads reports why; an empty parameter list keeps test discovery working
  }
}

std::optional<DecodeError> rejection_of(const MalformedCase& c) {
  if (c.is_command) {
    const auto decoded = decode_command(c.payload);
    if (decoded) return std::nullopt;
    return decoded.error();
  }
  const auto decoded = decode(c.topic, c.payload, testing::test_context());
  if (decoded) return std::nullopt;
  return decoded.error();
}

class MalformedMessage : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedMessage, IsRejectedWithItsReasonAndPath) {
  const auto& c = GetParam();
  const auto error = rejection_of(c);
  ASSERT_TRUE(error) << c.name << " was accepted";
  EXPECT_EQ(to_string(error->reason), c.reason) << error->message();
  EXPECT_EQ(error->path, c.path) << error->message();
  EXPECT_FALSE(error->detail.empty());
  EXPECT_NE(error->detail.find(c.detail), std::string::npos)
      << "detail \"" << error->detail << "\" does not mention \"" << c.detail << "\"";
}

INSTANTIATE_TEST_SUITE_P(Table, MalformedMessage, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<MalformedCase>& row) { return row.param.name; });

TEST(MalformedTable, Loads) {
  std::vector<MalformedCase> cases;
  ASSERT_NO_THROW(cases = read_cases());
  EXPECT_GE(cases.size(), 50u);
}

TEST(MalformedTable, CoversEveryReasonCode) {
  std::set<std::string> covered;
  for (const auto& c : load_cases()) covered.insert(c.reason);
  for (auto r = static_cast<int>(Reason::bad_topic); r <= static_cast<int>(Reason::identity_mismatch); ++r) {
    const auto name = std::string(to_string(static_cast<Reason>(r)));
    EXPECT_TRUE(covered.contains(name)) << "no malformed case for " << name;
  }
}

TEST(MalformedTable, NamesAreUniqueAndDetailsSpecific) {
  std::set<std::string> names;
  for (const auto& c : load_cases()) {
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate name " << c.name;
    EXPECT_FALSE(c.detail.empty()) << c.name << " expects nothing of the detail";
  }
}

TEST(MalformedTable, ExpansionBuildsLargePayloads) {
  const json expansions = json::parse(R"([{"marker": "@L@", "item": "\"P-{i}\"", "count": 3, "separator": ","}])");
  EXPECT_EQ(expand(R"({"load":[@L@]})", expansions), R"({"load":["P-0","P-1","P-2"]})");
}

}  // namespace
}  // namespace sterifleet::protocol
