// The policy file: defaults and their sources, and `policy check` errors with their lines.
#include "sterifleet/engine/policy.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "sterifleet/engine/patient_ref.hpp"

namespace sterifleet::engine {
namespace {

using namespace std::chrono_literals;

std::vector<PolicyError> errors_of(std::string_view text) {
  auto parsed = parse_policy(text, "clinic.toml");
  auto* errors = std::get_if<std::vector<PolicyError>>(&parsed);
  return errors ? *errors : std::vector<PolicyError>{};
}

TEST(Policy, DefaultsCarryTheCdcTables) {
  const Policy& p = default_policy();
  const auto& gravity = p.reprocessing.steam_gravity.wrapped;
  ASSERT_EQ(gravity.size(), 2u);
  EXPECT_EQ(gravity[0].celsius, 121);
  EXPECT_EQ(gravity[0].minimum, 30min);
  EXPECT_EQ(gravity[1].minimum, 15min);
  ASSERT_EQ(p.reprocessing.steam_prevac.wrapped.size(), 2u);
  EXPECT_FALSE(p.reprocessing.steam_prevac.wrapped[0].minimum);  // 121 °C: not applicable
  EXPECT_EQ(p.reprocessing.steam_prevac.wrapped[1].minimum, 4min);
  EXPECT_EQ(p.reprocessing.dry_heat.size(), 3u);
  EXPECT_EQ(p.reprocessing.agent("opa")->min_contact, 12min);
  EXPECT_FALSE(p.reprocessing.agent("isopropyl_alcohol")->high_level);
  EXPECT_EQ(p.rule(RuleId::used_without_reprocessing).severity, Severity::critical);
  EXPECT_EQ(p.rule(RuleId::battery_low).severity, Severity::warning);
  EXPECT_EQ(p.depth_limit(protocol::TreatmentArea::neck), 0.5);
  EXPECT_EQ(p.heartbeat_sterilizer, 600s);
}

TEST(Policy, EveryDefaultCitesItsSource) {
  const std::string_view text = default_policy_text();
  EXPECT_NE(text.find("Table 7"), std::string_view::npos);
  EXPECT_NE(text.find("Table 4"), std::string_view::npos);
  EXPECT_NE(text.find("170 °C for 60 minutes"), std::string_view::npos);
  EXPECT_NE(text.find("flash"), std::string_view::npos);
}

// Each table of cycle minimums and agents has a "Source:" comment above its first row.
TEST(Policy, EveryReprocessingTableOfTheDefaultsCitesItsSource) {
  std::istringstream in{std::string(default_policy_text())};
  std::string line;
  std::string table;
  bool cited = false;
  int tables = 0;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.starts_with("#")) {
      cited |= line.find("Source:") != std::string::npos;
      continue;
    }
    if (!line.starts_with("[[reprocessing.") || line == table) continue;
    EXPECT_TRUE(cited) << "line " << number << ": " << line << " cites no source";
    table = line;
    cited = false;
    ++tables;
  }
  EXPECT_EQ(tables, 6);  // steam gravity and prevac, wrapped and unwrapped; dry heat; agents
}

TEST(Policy, FileOverridesOnlyWhatItSets) {
  auto parsed = parse_policy(R"(
[battery]
threshold_pct = 20
clear_pct = 30
[rules]
"device.battery_low" = { severity = "critical" }
[reprocessing.models]
"SkinPen" = "high_level_disinfection"
)",
                             "clinic.toml");
  ASSERT_TRUE(std::holds_alternative<Policy>(parsed)) << std::get<1>(parsed).front().to_string();
  const auto& p = std::get<Policy>(parsed);
  EXPECT_EQ(p.battery_threshold_pct, 20);
  EXPECT_EQ(p.rule(RuleId::battery_low).severity, Severity::critical);
  EXPECT_TRUE(p.rule(RuleId::battery_low).enabled);
  EXPECT_EQ(p.reprocessing.level_for("SkinPen"), ReprocessingLevel::high_level_disinfection);
  EXPECT_EQ(p.reprocessing.level_for("Dermapen 4"), ReprocessingLevel::sterilization);
  EXPECT_EQ(p.service_interval_hours, 500);
}

TEST(Policy, CheckReportsEveryErrorWithItsLine) {
  const auto errors = errors_of(R"([battery]
threshold_pct = "low"
clear_pct = 250
[rules]
"cartridge.reusd" = { severity = "critical" }
"cartridge.reused" = { severity = "urgent" }
[depth_limits_mm]
chin = 1.0
[[reprocessing.dry_heat]]
celsius = 160
)");
  std::vector<std::string> lines;
  for (const auto& e : errors) lines.push_back(e.to_string());
  ASSERT_EQ(lines.size(), 6u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "clinic.toml:2: battery.threshold_pct must be a number");
  EXPECT_EQ(lines[1], "clinic.toml:3: battery.clear_pct = 250 is outside [0, 100]");
  EXPECT_EQ(lines[2], "clinic.toml:5: unknown rule \"cartridge.reusd\"");
  EXPECT_EQ(lines[3],
            "clinic.toml:6: rules.\"cartridge.reused\".severity must be \"info\", \"warning\" or \"critical\"");
  EXPECT_EQ(lines[4], "clinic.toml:8: unknown key \"chin\" in depth_limits_mm");
  EXPECT_EQ(lines[5], "clinic.toml:9: reprocessing.dry_heat row needs exactly one of minutes or not_applicable = true");
}

TEST(Policy, TheAlertsOfUnjudgedMessagesCannotBeTurnedOffOrLowered) {
  for (const std::string rule : {"device.event_rejected", "device.clinic_mismatch"}) {
    for (const std::string setting : {"{ enabled = false }", R"({ severity = "warning" })"}) {
      const auto errors = errors_of("[rules]\n\"" + rule + "\" = " + setting + "\n");
      ASSERT_EQ(errors.size(), 1u) << rule << setting;
      EXPECT_EQ(errors[0].to_string(), "clinic.toml:2: rules.\"" + rule +
                                           "\" must stay enabled and critical: a message that could not be judged "
                                           "must reach a person");
    }
  }
  EXPECT_TRUE(errors_of("[rules]\n\"device.protocol_drift\" = { enabled = false }\n").empty());
}

// The default patient reference pattern, as daemon/engine/README.md states it.
TEST(Policy, PatientReferences_TheDefaultPatternTakesOpaqueIdsOnly) {
  const PatientRefPattern pattern(default_policy().patient_ref_pattern);
  EXPECT_EQ(default_policy().patient_ref_pattern, default_patient_ref_pattern);
  for (const auto* ref : {"pt-8c1e0b", "P000123", "a", "X_17-b", "pt-20231234", "K-1985"}) {
    EXPECT_TRUE(pattern.conforms(ref)) << ref;
  }
  for (const auto* ref :
       {"Anna Berg", "anna.berg", "anna@example.org", "1985-03-02", "19850302", "02.03.1985", "02-03-1985", "02031985",
        "12-25-1985", "03/02/1985", "pt-1985-03-02", "berg19850302", "pt_02031985x", ""}) {
    EXPECT_FALSE(pattern.conforms(ref)) << ref;
  }
  EXPECT_FALSE(pattern.conforms(std::string(65, 'a')));
}

TEST(Policy, PatientReferences_APolicySetsItsPatternAndABadOneIsRefused) {
  const auto parsed = parse_policy("[patients]\nref_pattern = 'PT-[0-9]{6}'\n", "clinic.toml");
  ASSERT_TRUE(std::holds_alternative<Policy>(parsed));
  const PatientRefPattern pattern(std::get<Policy>(parsed).patient_ref_pattern);
  EXPECT_TRUE(pattern.conforms("PT-000042"));
  EXPECT_FALSE(pattern.conforms("PT-000042-x")) << "the whole reference must match";
  EXPECT_FALSE(pattern.conforms("pt-8c1e0b"));

  const auto errors = errors_of("[patients]\nref_pattern = 'PT-[0-9'\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_NE(errors[0].message.find("patients.ref_pattern is not an ECMAScript regular expression"), std::string::npos)
      << errors[0].message;
  EXPECT_EQ(errors_of("[patients]\npattern = 'x'\n").at(0).message, "unknown key \"pattern\" in patients");
}

TEST(Policy, SyntaxErrorsNameTheLine) {
  const auto errors = errors_of("[battery]\nthreshold_pct = = 3\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2);
}

TEST(Policy, UnknownTopLevelKeyIsAnError) {
  const auto errors = errors_of("[batery]\nthreshold_pct = 3\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(), "clinic.toml:1: unknown key \"batery\" in the policy");
}

}  // namespace
}  // namespace sterifleet::engine
