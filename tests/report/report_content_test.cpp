// What a compliance report says, in CSV and JSON, about a store filled through the real engine: every
// session with the reprocessing that cleared it, every cycle, every violation and how it was closed,
// the recall of a positive BI (the engine's own answer), the summary, and the filters.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "clinic_day.hpp"
#include "sterifleet/http/record_views.hpp"

namespace sterifleet::report::testing {
namespace {

using nlohmann::json;
using std::chrono::days;

json body_of(const std::string& text) {
  // The JSON report is one document; its seal is its last member.
  const auto document = json::parse(text, nullptr, false);
  EXPECT_FALSE(document.is_discarded()) << text.substr(0, 500);
  return document;
}

std::vector<std::string> column(const std::vector<std::map<std::string, std::string>>& rows, const char* name) {
  std::vector<std::string> out;
  for (const auto& row : rows) out.push_back(row.at(name));
  return out;
}

class ComplianceReportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { day_ = new ClinicDay(); }
  static void TearDownTestSuite() {
    delete day_;
    day_ = nullptr;
  }
  static ClinicDay& day() { return *day_; }

 private:
  static ClinicDay* day_;
};

ClinicDay* ComplianceReportTest::day_ = nullptr;

TEST_F(ComplianceReportTest, Csv_ListsEverySessionWithTheReprocessingThatClearedIt) {
  const auto records = parse_csv(day().make(Format::csv).text);
  const auto sessions = rows(records, "session");
  EXPECT_EQ(column(sessions, "session"), (std::vector<std::string>{"S1", "S2", "S3", "S4", "S5"}));
  EXPECT_EQ(column(sessions, "pen"), (std::vector<std::string>{"PEN-1", "PEN-1", "PEN-2", "PEN-1", "PEN-2"}));
  EXPECT_EQ(column(sessions, "cleared_by"),
            (std::vector<std::string>{"STER-1/CYC-1", "none", "STER-1/CYC-1", "STER-1/CYC-3", "none"}));
  EXPECT_EQ(column(sessions, "compliant"), (std::vector<std::string>{"true", "false", "true", "true", "false"}));
  const auto& s1 = sessions.front();
  EXPECT_EQ(s1.at("started"), "2026-11-02T08:00:00.000Z");
  EXPECT_EQ(s1.at("ended"), "2026-11-02T08:20:00.000Z");
  EXPECT_EQ(s1.at("clinic"), "north");
  EXPECT_EQ(s1.at("cartridge"), "C1");
  EXPECT_EQ(s1.at("lot"), "LOT-7");
  EXPECT_EQ(s1.at("expires"), "2027-06-30");
  EXPECT_EQ(s1.at("operator"), "op-anna");
  EXPECT_EQ(s1.at("patient"), "pt-S1");
  EXPECT_EQ(s1.at("area"), "cheek");
  EXPECT_EQ(s1.at("depth_mm"), "1.5");
  EXPECT_EQ(s1.at("strokes"), "1200");
  EXPECT_EQ(s1.at("runtime_s"), "900");
}

// S4's patient reference is a date of birth: the reports keep it (auditors map references to people)
// and flag it, in every layout.
TEST_F(ComplianceReportTest, PatientReferencesOffThePolicysPatternAreFlagged) {
  const auto records = parse_csv(day().make(Format::csv).text);
  const auto sessions = rows(records, "session");
  EXPECT_EQ(column(sessions, "patient_drift"), (std::vector<std::string>{"false", "false", "false", "true", "false"}));
  EXPECT_EQ(sessions[3].at("patient"), "1985-03-02");
  EXPECT_EQ(rows(records, "report").at(0).at("layout"), "2");
  EXPECT_EQ(column(rows(records, "recall_session"), "patient_drift"),
            (std::vector<std::string>{"false", "false", "false", "false"}));
  EXPECT_EQ(section(records, "recall_session").front().back(), "patient_drift");

  const auto report = body_of(day().make(Format::json).text);
  std::vector<bool> flags;
  for (const auto& s : report["sessions"]) flags.push_back(s.at("patient_drift").get<bool>());
  EXPECT_EQ(flags, (std::vector<bool>{false, false, false, true, false}));
  EXPECT_EQ(report["recalls"][0]["sessions"][0]["patient_drift"], false);
}

TEST_F(ComplianceReportTest, Csv_ListsEveryCycleWithParametersIndicatorsAndReasons) {
  const auto cycles = rows(parse_csv(day().make(Format::csv).text), "cycle");
  ASSERT_EQ(column(cycles, "key"),
            (std::vector<std::string>{"STER-1/CYC-1", "STER-1/CYC-2", "STER-1/CYC-3", "STER-1/CYC-4"}));
  EXPECT_EQ(column(cycles, "state"), (std::vector<std::string>{"recalled", "invalid", "valid", "invalid"}));
  const auto& c1 = cycles[0];
  EXPECT_EQ(c1.at("method"), "steam_prevac");
  EXPECT_EQ(c1.at("temp_c"), "134");
  EXPECT_EQ(c1.at("exposure_s"), "300");
  EXPECT_EQ(c1.at("load"), "PEN-1 PEN-2");
  EXPECT_EQ(c1.at("ci"), "pass");
  EXPECT_EQ(c1.at("bi_monitored"), "true");
  EXPECT_EQ(c1.at("bi_result"), "positive");
  EXPECT_EQ(c1.at("bi_read_at"), "2026-11-02T12:00:00.000Z");
  EXPECT_EQ(c1.at("recalled_by"), "STER-1/CYC-1");
  EXPECT_EQ(c1.at("operator"), "op-tom");
  const auto& c2 = cycles[1];
  EXPECT_EQ(c2.at("temp_c"), "121");
  EXPECT_EQ(c2.at("valid"), "false");
  EXPECT_NE(c2.at("reasons"), "") << "an insufficient cycle says why";
  EXPECT_EQ(cycles[2].at("bi_result"), "");
  EXPECT_EQ(cycles[2].at("reasons"), "");
  EXPECT_EQ(cycles[3].at("ci"), "fail");
}

TEST_F(ComplianceReportTest, Csv_ListsEveryViolationWithHowItWasClosed) {
  const auto violations = rows(parse_csv(day().make(Format::csv).text), "violation");
  std::map<std::string, std::map<std::string, std::string>> by_rule;
  for (const auto& v : violations) by_rule[v.at("rule") + " " + v.at("device")] = v;
  ASSERT_TRUE(by_rule.contains("cartridge.reused PEN-1"));
  const auto& reused = by_rule["cartridge.reused PEN-1"];
  EXPECT_EQ(reused.at("closed_how"), "auto_cleared");
  EXPECT_EQ(reused.at("closed_by"), "engine");
  EXPECT_EQ(reused.at("closed_at"), "2026-11-02T11:00:00.000Z");
  EXPECT_EQ(reused.at("closure"), "cartridge C1 no longer mounted on PEN-1");
  ASSERT_TRUE(by_rule.contains("cycle.indicator_failed STER-1"));
  const auto& indicator = by_rule["cycle.indicator_failed STER-1"];
  EXPECT_EQ(indicator.at("closed_how"), "resolved");
  EXPECT_EQ(indicator.at("closed_by"), "token:mia");
  EXPECT_EQ(indicator.at("closed_at"), "2026-11-02T14:00:00.000Z");
  EXPECT_EQ(indicator.at("closure"), kResolveReason);
  ASSERT_TRUE(by_rule.contains("cycle.bi_positive STER-1"));
  const auto& bi = by_rule["cycle.bi_positive STER-1"];
  EXPECT_EQ(bi.at("closed_how"), "acknowledged");
  EXPECT_EQ(bi.at("ack_by"), "token:mia");
  EXPECT_EQ(bi.at("ack_comment"), "recall started");
  EXPECT_EQ(bi.at("severity"), "critical");
  ASSERT_TRUE(by_rule.contains("cycle.parameters_insufficient STER-1"));
  // PEN-1's use without reprocessing was cleared by CYC-3; PEN-2's on day two is still open.
  std::vector<std::string> unreprocessed;
  for (const auto& v : violations) {
    if (v.at("rule") == "device.used_without_reprocessing") {
      unreprocessed.push_back(v.at("device") + " " + v.at("closed_how") + " " + v.at("closure"));
    }
  }
  EXPECT_EQ(unreprocessed, (std::vector<std::string>{"PEN-1 auto_cleared reprocessed by STER-1/CYC-3", "PEN-2 open "}));
  EXPECT_TRUE(std::is_sorted(violations.begin(), violations.end(),
                             [](const auto& a, const auto& b) { return a.at("opened_at") < b.at("opened_at"); }));
}

TEST_F(ComplianceReportTest, Recall_IsTheEnginesOwnAnswer) {
  const auto report = body_of(day().make(Format::json).text);
  ASSERT_EQ(report["recalls"].size(), 1u);
  const auto engine_recall = day().fleet().read(
      [](const engine::Engine& engine) { return http::recall_json(*engine.recall("STER-1/CYC-1")); });
  EXPECT_EQ(report["recalls"][0], engine_recall);
  const auto& recall = report["recalls"][0];
  EXPECT_EQ(recall["cycles"], json({"STER-1/CYC-1"}));
  EXPECT_EQ(recall["devices"], json({"PEN-1", "PEN-2"}));
  std::vector<std::string> sessions;
  for (const auto& s : recall["sessions"])
    sessions.push_back(s["session"].get<std::string>() + " " + s["patient"].get<std::string>());
  EXPECT_EQ(sessions, (std::vector<std::string>{"S1 pt-S1", "S2 pt-S2", "S3 pt-S3", "S5 pt-S5"}));
}

TEST_F(ComplianceReportTest, Csv_RecallSectionsListTheSessionsToReview) {
  const auto records = parse_csv(day().make(Format::csv).text);
  const auto recalls = rows(records, "recall");
  ASSERT_EQ(recalls.size(), 1u);
  EXPECT_EQ(recalls[0].at("cycle"), "STER-1/CYC-1");
  EXPECT_EQ(recalls[0].at("recalled_cycles"), "STER-1/CYC-1");
  EXPECT_EQ(recalls[0].at("devices"), "PEN-1 PEN-2");
  EXPECT_EQ(recalls[0].at("sessions"), "4");
  const auto sessions = rows(records, "recall_session");
  EXPECT_EQ(column(sessions, "session"), (std::vector<std::string>{"S1", "S2", "S3", "S5"}));
  EXPECT_EQ(sessions[0].at("operator"), "op-anna");
  EXPECT_EQ(sessions[0].at("started"), "2026-11-02T08:00:00.000Z");
  EXPECT_EQ(sessions[0].at("after_cycle"), "STER-1/CYC-1");
}

TEST_F(ComplianceReportTest, Json_SessionsCyclesAndViolationsAreTheStoresRows) {
  const auto report = body_of(day().make(Format::json).text);
  store::RecordQuery query;
  query.clinic = "north";
  EXPECT_EQ(report["sessions"], json(day().store().sessions(query).rows));
  EXPECT_EQ(report["cycles"], json(day().store().cycles(query).rows));
  store::AlertQuery alerts;
  alerts.clinic = "north";
  const auto stored = day().store().alerts(alerts).rows;
  ASSERT_EQ(report["violations"].size(), stored.size());
  for (const auto& violation : report["violations"]) {
    auto alert = violation;
    alert.erase("closure");
    EXPECT_NE(std::find(stored.begin(), stored.end(), alert), stored.end()) << violation.dump();
  }
  EXPECT_EQ(report["report"]["clinic"], "north");
  EXPECT_EQ(report["report"]["from"], "2026-11-02T00:00:00.000Z");
  EXPECT_EQ(report["report"]["to"], "2026-11-04T00:00:00.000Z");
  EXPECT_EQ(report["report"]["generated_by"], "token:ann");
}

TEST_F(ComplianceReportTest, Summary_CountsSessionsCyclesViolationsAndRecalls) {
  const auto summary = body_of(day().make(Format::json).text)["summary"];
  EXPECT_EQ(summary["sessions"]["total"], 5);
  EXPECT_EQ(summary["sessions"]["compliant"], 3);
  EXPECT_EQ(summary["sessions"]["not_compliant"], 2);
  EXPECT_DOUBLE_EQ(summary["sessions"]["compliant_share"].get<double>(), 0.6);
  EXPECT_EQ(summary["cycles"]["total"], 4);
  EXPECT_EQ(summary["cycles"]["valid"], 1);
  EXPECT_EQ(summary["cycles"]["invalid"], 3);
  EXPECT_EQ(summary["cycles"]["by_state"], json({{"valid", 1}, {"awaiting_bi", 0}, {"invalid", 2}, {"recalled", 1}}));
  EXPECT_EQ(summary["recalls"], json({{"positive_bis", 1}, {"recalled_cycles", 1}, {"devices", 2}, {"sessions", 4}}));
  std::map<std::string, json> by_rule;
  for (const auto& rule : summary["violations"]["by_rule"]) by_rule[rule["rule"]] = rule;
  EXPECT_EQ(by_rule["cartridge.reused"], json({{"rule", "cartridge.reused"},
                                               {"opened", 1},
                                               {"auto_cleared", 1},
                                               {"resolved", 0},
                                               {"withdrawn", 0},
                                               {"acknowledged", 0},
                                               {"open", 0}}));
  EXPECT_EQ(by_rule["cycle.indicator_failed"]["resolved"], 1);
  EXPECT_EQ(by_rule["cycle.bi_positive"]["acknowledged"], 1);
  const auto records = parse_csv(day().make(Format::csv).text);
  std::map<std::string, std::string> metrics;
  for (const auto& row : rows(records, "summary")) metrics[row.at("metric")] = row.at("value");
  EXPECT_EQ(metrics["sessions"], "5");
  EXPECT_EQ(metrics["sessions_compliant_share"], "0.6000");
  EXPECT_EQ(metrics["cycles_valid"], "1");
  EXPECT_EQ(metrics["cycles_invalid"], "3");
  EXPECT_EQ(metrics["recalled_sessions"], "4");
  const auto rules = rows(records, "summary_rule");
  EXPECT_EQ(rules.size(), summary["violations"]["by_rule"].size());
}

TEST_F(ComplianceReportTest, Period_CoversFromInclusiveToExclusive) {
  const auto first_day = body_of(day().make(Format::json, "north", kDay, kDay + days(1)).text);
  EXPECT_EQ(first_day["sessions"].size(), 4u);  // S5 is on day two
  const auto second_day = body_of(day().make(Format::json, "north", kDay + days(1), kDay + days(2)).text);
  EXPECT_EQ(second_day["sessions"].size(), 1u);
  EXPECT_EQ(second_day["cycles"].size(), 0u);
  EXPECT_EQ(second_day["recalls"].size(), 0u) << "the BI was read on day one";
  const auto from_noon = body_of(day().make(Format::json, "north", at(11, 30), at(12, 30)).text);
  EXPECT_EQ(from_noon["sessions"].size(), 0u);
  EXPECT_EQ(from_noon["recalls"].size(), 1u) << "a BI read in the period, for a cycle run before it";
}

TEST_F(ComplianceReportTest, Clinic_FiltersAndNoneMeansEveryClinic) {
  const auto south = body_of(day().make(Format::json, "south").text);
  ASSERT_EQ(south["sessions"].size(), 1u);
  EXPECT_EQ(south["sessions"][0]["clearance"], "first use");
  EXPECT_EQ(south["cycles"].size(), 0u);
  const auto all = body_of(day().make(Format::json, std::nullopt).text);
  EXPECT_EQ(all["sessions"].size(), 6u);
  EXPECT_TRUE(all["report"]["clinic"].is_null());
  const auto csv = rows(parse_csv(day().make(Format::csv, std::nullopt).text), "report");
  ASSERT_EQ(csv.size(), 1u);
  EXPECT_EQ(csv[0].at("clinic"), "");
}

TEST_F(ComplianceReportTest, Csv_IsRfc4180WithEverySectionsHeaderBeforeItsRows) {
  const auto text = day().make(Format::csv).text;
  EXPECT_NE(text.find("\"cartridge \"\"C1\"\" discarded,\npatient informed\""), std::string::npos)
      << "quotes doubled, the field quoted, the line break kept";
  const auto records = parse_csv(text);
  std::vector<std::string> order;
  for (const auto& record : records) {
    if (order.empty() || order.back() != record.front()) order.push_back(record.front());
  }
  EXPECT_EQ(order, (std::vector<std::string>{"report", "session", "cycle", "violation", "recall", "recall_session",
                                             "recall", "recall_session", "summary", "summary_rule", "footer"}));
  EXPECT_EQ(section(records, "session").front(),
            (std::vector<std::string>{"session", "started", "ended", "clinic", "pen", "session", "cartridge", "lot",
                                      "expires", "operator", "patient", "area", "depth_mm", "strokes", "runtime_s",
                                      "cleared_by", "compliant", "patient_drift"}));
  for (const auto* name :
       {"report", "session", "cycle", "violation", "recall", "recall_session", "summary", "summary_rule", "footer"}) {
    rows(records, name);  // every record of a section has its header's number of fields
  }
}

TEST_F(ComplianceReportTest, EmptyPeriod_StillHasEverySectionAndASeal) {
  const auto empty_day = kDay - days(10);
  const auto report = body_of(day().make(Format::json, "north", empty_day, empty_day + days(1)).text);
  EXPECT_EQ(report["sessions"], json::array());
  EXPECT_EQ(report["violations"], json::array());
  EXPECT_TRUE(report["summary"]["sessions"]["compliant_share"].is_null());
  EXPECT_EQ(report["integrity"]["sha256"].get<std::string>().size(), 64u);
  const auto records = parse_csv(day().make(Format::csv, "north", empty_day, empty_day + days(1)).text);
  EXPECT_EQ(section(records, "session").size(), 1u) << "the header alone";
}

}  // namespace
}  // namespace sterifleet::report::testing

namespace sterifleet::report::testing {
namespace {

// OWASP's CSV injection guidance: people's text that a spreadsheet would run as a formula is made text
// with a leading single quote; a field that is wholly a number stays a number, negative or not.
TEST(CsvInjection, FormulaLikeTextIsNeutralised_NumbersStayNumbers) {
  ClinicDay day;
  const std::string formula = R"(=HYPERLINK("http://evil.example","details"))";
  store::AlertQuery open;  // PEN-2's use without reprocessing on day two
  open.state = "open";
  open.clinic = "north";
  open.device = "PEN-2";
  const auto rows_open = day.store().alerts(open).rows;
  ASSERT_EQ(rows_open.size(), 1u);
  const auto id = rows_open.front().at("id").get<std::string>();
  const auto acknowledged = day.fleet().acknowledge(id, "token:mia", formula);
  ASSERT_TRUE(acknowledged.ok()) << acknowledged.refusal->message;
  const auto resolved = day.fleet().resolve(id, "token:mia", "-2+3");
  ASSERT_TRUE(resolved.ok()) << resolved.refusal->message;
  const auto text = day.make(Format::csv).text;
  const auto violations = rows(parse_csv(text), "violation");
  const auto found =
      std::find_if(violations.begin(), violations.end(), [&](const auto& v) { return v.at("alert") == id; });
  ASSERT_NE(found, violations.end());
  EXPECT_EQ(found->at("ack_comment"), "'" + formula);
  EXPECT_EQ(found->at("closure"), "'-2+3");
  EXPECT_NE(text.find(R"x(,"'=HYPERLINK(""http://evil.example"",""details"")")x"), std::string::npos);
  for (const auto& record : parse_csv(text)) {
    for (const auto& field : record) {
      if (field.empty() || std::string_view("=+-@\t\r").find(field.front()) == std::string_view::npos) continue;
      char* end = nullptr;
      std::strtod(field.c_str(), &end);
      EXPECT_EQ(end, field.c_str() + field.size()) << "a formula-like field that is not a number: " << field;
    }
  }
}

}  // namespace
}  // namespace sterifleet::report::testing
