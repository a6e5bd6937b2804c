// Every row of the CDC 2008 tables the default policy carries, with its boundaries: exactly the
// minimum is valid, one second less is not; temperatures between rows take the lower row.
#include <gtest/gtest.h>

#include "sterifleet/engine/cycle_assessment.hpp"

namespace sterifleet::engine {
namespace {

using protocol::Method;

struct Case {
  const char* name;
  Method method;
  bool wrapped;
  double celsius;
  int seconds;
  bool valid;
  const char* agent = nullptr;
  double concentration = 0;
};

constexpr int min = 60;

const Case cases[] = {
    // CDC 2008 Table 7, gravity displacement, wrapped instruments.
    {"gravity_121_30min", Method::steam_gravity, true, 121, 30 * min, true},
    {"gravity_121_one_second_short", Method::steam_gravity, true, 121, 30 * min - 1, false},
    {"gravity_132_15min", Method::steam_gravity, true, 132, 15 * min, true},
    {"gravity_132_one_second_short", Method::steam_gravity, true, 132, 15 * min - 1, false},
    {"gravity_126_held_to_121_row", Method::steam_gravity, true, 126.5, 30 * min, true},
    {"gravity_126_not_132_time", Method::steam_gravity, true, 126.5, 15 * min, false},
    {"gravity_131_9_held_to_121_row", Method::steam_gravity, true, 131.9, 30 * min - 1, false},
    {"gravity_140_uses_132_row", Method::steam_gravity, true, 140, 15 * min, true},
    {"gravity_below_121_never", Method::steam_gravity, true, 120.9, 86400, false},
    // Table 7, dynamic air removal (prevacuum), wrapped: 132 °C 4 min, 121 °C not applicable.
    {"prevac_132_4min", Method::steam_prevac, true, 132, 4 * min, true},
    {"prevac_132_one_second_short", Method::steam_prevac, true, 132, 4 * min - 1, false},
    {"prevac_134_4min", Method::steam_prevac, true, 134, 4 * min, true},
    {"prevac_121_not_applicable", Method::steam_prevac, true, 121, 86400, false},
    {"prevac_131_9_held_to_121_not_applicable", Method::steam_prevac, true, 131.9, 86400, false},
    {"prevac_below_121_never", Method::steam_prevac, true, 100, 86400, false},
    // Flash (immediate use), unwrapped nonporous items: 132 °C 3 min, both sterilizer types.
    {"gravity_unwrapped_132_3min", Method::steam_gravity, false, 132, 3 * min, true},
    {"gravity_unwrapped_132_one_second_short", Method::steam_gravity, false, 132, 3 * min - 1, false},
    {"gravity_unwrapped_121_never", Method::steam_gravity, false, 121, 86400, false},
    {"prevac_unwrapped_132_3min", Method::steam_prevac, false, 132, 3 * min, true},
    {"prevac_unwrapped_132_one_second_short", Method::steam_prevac, false, 132, 3 * min - 1, false},
    {"prevac_unwrapped_121_never", Method::steam_prevac, false, 121, 86400, false},
    // Dry heat: 170 °C 60 min, 160 °C 120 min, 150 °C 150 min.
    {"dry_170_60min", Method::dry_heat, true, 170, 60 * min, true},
    {"dry_170_one_second_short", Method::dry_heat, true, 170, 60 * min - 1, false},
    {"dry_160_120min", Method::dry_heat, true, 160, 120 * min, true},
    {"dry_160_one_second_short", Method::dry_heat, true, 160, 120 * min - 1, false},
    {"dry_150_150min", Method::dry_heat, true, 150, 150 * min, true},
    {"dry_150_one_second_short", Method::dry_heat, true, 150, 150 * min - 1, false},
    {"dry_165_held_to_160_row", Method::dry_heat, true, 165, 120 * min, true},
    {"dry_165_not_170_time", Method::dry_heat, true, 165, 60 * min, false},
    {"dry_180_uses_170_row", Method::dry_heat, true, 180, 60 * min, true},
    {"dry_below_150_never", Method::dry_heat, true, 149.9, 86400, false},
    // Chemical high-level disinfection, CDC 2008 Table 4 claims.
    {"glutaraldehyde_20min", Method::chemical, false, 20, 20 * min, true, "glutaraldehyde", 2.0},
    {"glutaraldehyde_one_second_short", Method::chemical, false, 20, 20 * min - 1, false, "glutaraldehyde", 2.0},
    {"glutaraldehyde_too_dilute", Method::chemical, false, 20, 60 * min, false, "glutaraldehyde", 1.9},
    {"glutaraldehyde_too_cold", Method::chemical, false, 19.9, 60 * min, false, "glutaraldehyde", 2.4},
    {"opa_12min", Method::chemical, false, 20, 12 * min, true, "opa", 0.55},
    {"opa_one_second_short", Method::chemical, false, 20, 12 * min - 1, false, "opa", 0.55},
    {"hydrogen_peroxide_30min", Method::chemical, false, 20, 30 * min, true, "hydrogen_peroxide", 7.5},
    {"hydrogen_peroxide_one_second_short", Method::chemical, false, 20, 30 * min - 1, false, "hydrogen_peroxide", 7.5},
    {"peroxide_peracetic_15min", Method::chemical, false, 20, 15 * min, true, "hydrogen_peroxide_peracetic_acid", 7.35},
    {"peroxide_peracetic_one_second_short", Method::chemical, false, 20, 15 * min - 1, false,
     "hydrogen_peroxide_peracetic_acid", 7.35},
    {"alcohol_70_never_high_level", Method::chemical, false, 20, 86400, false, "isopropyl_alcohol", 70},
    {"ethanol_never_high_level", Method::chemical, false, 20, 86400, false, "ethanol", 70},
    {"unlisted_agent_insufficient", Method::chemical, false, 20, 86400, false, "bleach", 5},
};

class CdcTable : public ::testing::TestWithParam<Case> {};

TEST_P(CdcTable, CycleValidity) {
  const Case& c = GetParam();
  protocol::CycleComplete cycle;
  cycle.method = c.method;
  cycle.wrapped = c.wrapped;
  cycle.temperature = protocol::Celsius{c.celsius};
  cycle.exposure = std::chrono::seconds{c.seconds};
  if (c.agent)
    cycle.chemical = protocol::ChemicalExposure{protocol::AgentId{c.agent}, protocol::Percent{c.concentration}};
  const auto assessment = assess_cycle(cycle, default_policy().reprocessing);
  const auto level =
      c.method == Method::chemical ? ReprocessingLevel::high_level_disinfection : ReprocessingLevel::sterilization;
  EXPECT_EQ(assessment.valid_for(level), c.valid) << ::testing::PrintToString(assessment.reasons);
  EXPECT_EQ(assessment.reasons.empty(), c.valid);
}

INSTANTIATE_TEST_SUITE_P(Defaults, CdcTable, ::testing::ValuesIn(cases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(CdcTableReasons, NameTheRuleThatFailed) {
  protocol::CycleComplete cycle;
  cycle.method = Method::chemical;
  cycle.temperature = protocol::Celsius{20};
  cycle.exposure = std::chrono::seconds{86400};
  cycle.chemical = protocol::ChemicalExposure{protocol::AgentId{"isopropyl_alcohol"}, protocol::Percent{70}};
  const auto assessment = assess_cycle(cycle, default_policy().reprocessing);
  ASSERT_EQ(assessment.reasons.size(), 1u);
  EXPECT_EQ(assessment.reasons[0], "\"isopropyl_alcohol\" is not a high-level disinfectant, whatever the contact time");
}

TEST(CdcTableReasons, HighLevelDisinfectionDoesNotSterilize) {
  protocol::CycleComplete cycle;
  cycle.method = Method::chemical;
  cycle.temperature = protocol::Celsius{20};
  cycle.exposure = std::chrono::seconds{12 * 60};
  cycle.chemical = protocol::ChemicalExposure{protocol::AgentId{"opa"}, protocol::Percent{0.55}};
  const auto assessment = assess_cycle(cycle, default_policy().reprocessing);
  EXPECT_TRUE(assessment.valid_for(ReprocessingLevel::high_level_disinfection));
  EXPECT_FALSE(assessment.valid_for(ReprocessingLevel::sterilization));
}

TEST(CdcTableReasons, FailedIndicatorInvalidatesAnyCycle) {
  protocol::CycleComplete cycle;
  cycle.method = Method::steam_prevac;
  cycle.wrapped = true;
  cycle.temperature = protocol::Celsius{134};
  cycle.exposure = std::chrono::seconds{600};
  cycle.chemical_indicator = protocol::PassFail::fail;
  const auto assessment = assess_cycle(cycle, default_policy().reprocessing);
  EXPECT_TRUE(assessment.parameters_sufficient);
  EXPECT_FALSE(assessment.valid_for(ReprocessingLevel::sterilization));
}

}  // namespace
}  // namespace sterifleet::engine
