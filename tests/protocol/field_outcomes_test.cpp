// Every row of fields.json through the codec: a drifted descriptive field is accepted with its drift
// named (path, value as sent), anything else is rejected with the row's reason at the row's path.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/testing/field_table.hpp"
#include "test_files.hpp"

namespace sterifleet::protocol {
namespace {

using sterifleet::testing::FieldCase;

std::vector<FieldCase> load_cases() {
  try {
    return sterifleet::testing::read_field_cases(testing::field_table_path);
  } catch (const std::exception&) {
    return {};  // FieldTable.Loads reports why
  }
}

class FieldOutcome : public ::testing::TestWithParam<FieldCase> {};

TEST_P(FieldOutcome, DriftIsAcceptedAndNamedAnythingElseRejected) {
  const auto& c = GetParam();
  const auto decoded = decode(c.topic, c.payload, testing::test_context());
  if (!c.drift) {
    ASSERT_FALSE(decoded) << c.name << " was accepted";
    EXPECT_EQ(to_string(decoded.error().reason), c.reason) << decoded.error().message();
    EXPECT_EQ(decoded.error().path, c.at) << decoded.error().message();
    return;
  }
  ASSERT_TRUE(decoded) << c.name << ": " << decoded.error().message();
  const auto& drift = std::visit([](const auto& m) -> const std::vector<Drift>& { return m.drift; }, *decoded);
  ASSERT_EQ(drift.size(), 1u) << c.name;
  EXPECT_EQ(drift[0].path, c.path);
  EXPECT_FALSE(drift[0].value.empty());
  EXPECT_FALSE(drift[0].detail.empty());
}

INSTANTIATE_TEST_SUITE_P(Table, FieldOutcome, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<FieldCase>& row) {
                           return sterifleet::testing::test_name(row.param, row.index);
                         });

TEST(FieldTable, Loads) { EXPECT_GE(sterifleet::testing::read_field_cases(testing::field_table_path).size(), 100u); }

// Each field of a base has a row of the wrong JSON type (always rejected) and one with a value of the
// right type outside its rules (drift or rejected, as the field is descriptive or judged); a boolean or
// an object has no such value. Fields the spec does not define are drift and nothing else.
TEST(FieldTable, EveryFieldHasAWrongTypeRowAndAnOutOfRulesRow) {
  std::map<std::string, std::set<std::string>> outcomes;  // "<base> <path>" -> kinds of rows
  for (const auto& c : load_cases()) outcomes[c.base + " " + c.path].insert(c.drift ? "drift" : c.reason);
  const std::set<std::string> no_range{"/body", "/body/cartridge", "/body/wrapped", "/body/bi", "/online"};
  for (const auto& [field, kinds] : outcomes) {
    const auto path = field.substr(field.rfind(' ') + 1);
    if (path.find("/x_") != std::string::npos || field == "cartridge.remove /body/cartridge/lot") {
      EXPECT_EQ(kinds, std::set<std::string>{"drift"}) << field;
      continue;
    }
    EXPECT_TRUE(kinds.contains("wrong_type")) << field;
    if (!no_range.contains(path)) {
      EXPECT_GE(kinds.size(), 2u) << field << " has no row outside its rules";
    }
  }
}

}  // namespace
}  // namespace sterifleet::protocol
