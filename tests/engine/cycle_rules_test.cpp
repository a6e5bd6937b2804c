// cycle.parameters_insufficient, cycle.indicator_failed, cycle.bi_positive with its recall, and the
// daily Bowie-Dick test rules.
#include "fleet_fixture.hpp"

namespace sterifleet::engine::testing {
namespace {

class Cycles : public FleetFixture {
 protected:
  void SetUp() override {
    birth("PEN-1");
    birth("PEN-2");
    birth("STER-1", protocol::DeviceKind::sterilizer);
    bowie_dick("STER-1", true, 1);
  }
  protocol::CycleComplete failed_ci(const std::string& id, std::vector<std::string> load) {
    auto c = steam(id, std::move(load));
    c.chemical_indicator = protocol::PassFail::fail;
    return c;
  }
  protocol::CycleComplete monitored(const std::string& id, std::vector<std::string> load) {
    auto c = steam(id, std::move(load));
    c.biological_indicator = true;
    return c;
  }
  Effects bi(const std::string& cycle_id, bool positive, double minute) {
    return send("STER-1",
                protocol::BiResult{protocol::CycleId{cycle_id},
                                   positive ? protocol::BiReading::positive : protocol::BiReading::negative},
                minute);
  }
  /// Withdrawn ones included: deduplication must not replace an alert by a new one either.
  std::size_t ever_opened(RuleId rule) const {
    std::size_t n = 0;
    engine_.for_each_alert([&](const Alert& a) { n += a.rule == rule ? 1 : 0; });
    return n;
  }
};

TEST_F(Cycles, ParametersInsufficient_FiresOneSecondShortAndNamesTheMinimum) {
  cycle("STER-1", steam("C1", {"PEN-1"}, 132, 239), 10);
  const auto fired = alerts(RuleId::cycle_parameters_insufficient);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject, "STER-1/C1");
  EXPECT_NE(fired[0].episode.summary.find("4 min minimum"), std::string::npos) << fired[0].episode.summary;
  EXPECT_EQ(engine_.cycle("STER-1/C1")->state(), CycleState::invalid);
}

TEST_F(Cycles, ParametersInsufficient_QuietExactlyAtTheMinimum) {
  cycle("STER-1", steam("C1", {"PEN-1"}, 132, 240), 10);
  EXPECT_EQ(alert_count(), 0u);
  EXPECT_EQ(engine_.cycle("STER-1/C1")->state(), CycleState::valid);
}

TEST_F(Cycles, ParametersInsufficient_ResolvesWhenEveryItemIsReprocessedAgain) {
  cycle("STER-1", steam("C1", {"PEN-1", "PEN-2"}, 121, 1800), 10);  // prevac at 121: not applicable
  cycle("STER-1", steam("C2", {"PEN-1"}), 20);
  EXPECT_EQ(alerts(RuleId::cycle_parameters_insufficient).front().state(), AlertState::open);
  cycle("STER-1", steam("C3", {"PEN-2"}), 30);
  const auto fired = alerts(RuleId::cycle_parameters_insufficient);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::resolved);
  EXPECT_EQ(fired[0].episode.cleared_at, at_minute(30));
}

// The subject is the cycle: re-evaluating it (a later cycle reprocesses part of its load) or the
// sterilizer reporting it again keeps its one alert.
TEST_F(Cycles, ParametersInsufficient_DeduplicatesReevaluationsAndRepeatedReportsOfTheCycle) {
  cycle("STER-1", steam("C1", {"PEN-1", "PEN-2"}, 132, 239), 10);
  cycle("STER-1", steam("C2", {"PEN-1"}), 20);
  const auto again = cycle("STER-1", steam("C1", {"PEN-1", "PEN-2"}, 132, 239), 30);
  ASSERT_TRUE(again.refusal);
  EXPECT_EQ(again.refusal->code, RefusalCode::duplicate_cycle);
  const auto fired = alerts(RuleId::cycle_parameters_insufficient);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject, "STER-1/C1");
  EXPECT_EQ(fired[0].episode.occurrences, 1);
  EXPECT_EQ(fired[0].state(), AlertState::open);
  EXPECT_EQ(ever_opened(RuleId::cycle_parameters_insufficient), 1u);
}

TEST_F(Cycles, ParametersInsufficient_IsPerCycleSoTwoBadCyclesAreTwoAlerts) {
  cycle("STER-1", steam("C1", {"PEN-1"}, 132, 100), 10);
  cycle("STER-1", steam("C2", {"PEN-1"}, 132, 100), 20);
  EXPECT_EQ(alerts(RuleId::cycle_parameters_insufficient).size(), 2u);
}

TEST_F(Cycles, ParametersInsufficient_HighLevelDisinfectionOfAModelNeedingSterilization) {
  protocol::CycleComplete c = steam("HLD-1", {"PEN-1"}, 20, 12 * 60, protocol::Method::chemical);
  c.pressure.reset();
  c.chemical = protocol::ChemicalExposure{protocol::AgentId{"opa"}, protocol::Percent{0.55}};
  cycle("STER-1", c, 10);
  const auto fired = alerts(RuleId::cycle_parameters_insufficient);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_NE(fired[0].episode.summary.find("does not sterilize PEN-1"), std::string::npos) << fired[0].episode.summary;
}

TEST_F(Cycles, ParametersInsufficient_HighLevelDisinfectionSufficesForAModelThatNeedsOnlyThat) {
  Policy policy = default_policy();
  policy.reprocessing.model_levels["Dermapen 4"] = ReprocessingLevel::high_level_disinfection;
  ASSERT_NO_FATAL_FAILURE(engine_.set_policy(policy, "test", kStart));
  protocol::CycleComplete c = steam("HLD-1", {"PEN-1"}, 20, 12 * 60, protocol::Method::chemical);
  c.pressure.reset();
  c.chemical = protocol::ChemicalExposure{protocol::AgentId{"opa"}, protocol::Percent{0.55}};
  start("PEN-1", "S1", 5);
  end("PEN-1", "S1", 8);
  cycle("STER-1", c, 10);
  start("PEN-1", "S2", 20);
  EXPECT_EQ(alert_count(), 0u);
}

TEST_F(Cycles, IndicatorFailed_FiresAndItemsStayUnprocessed) {
  start("PEN-1", "S1", 5);
  end("PEN-1", "S1", 8);
  cycle("STER-1", failed_ci("C1", {"PEN-1"}), 10);
  ASSERT_EQ(alerts(RuleId::cycle_indicator_failed).size(), 1u);
  EXPECT_TRUE(alerts(RuleId::cycle_parameters_insufficient).empty());
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::needs_reprocessing);
}

TEST_F(Cycles, IndicatorFailed_QuietWhenPassed) {
  cycle("STER-1", steam("C1", {"PEN-1"}), 10);
  EXPECT_TRUE(alerts(RuleId::cycle_indicator_failed).empty());
}

TEST_F(Cycles, IndicatorFailed_ResolvesOnRerunAndIsOnePerCycle) {
  cycle("STER-1", failed_ci("C1", {"PEN-1"}), 10);
  cycle("STER-1", steam("C2", {"PEN-1"}), 20);
  const auto fired = alerts(RuleId::cycle_indicator_failed);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::resolved);
}

TEST_F(Cycles, IndicatorFailed_DeduplicatesReevaluationsAndRepeatedReportsOfTheCycle) {
  cycle("STER-1", failed_ci("C1", {"PEN-1", "PEN-2"}), 10);
  cycle("STER-1", steam("C2", {"PEN-1"}), 20);  // re-evaluates C1: PEN-2 is still unprocessed
  const auto again = cycle("STER-1", failed_ci("C1", {"PEN-1", "PEN-2"}), 30);
  ASSERT_TRUE(again.refusal);
  EXPECT_EQ(again.refusal->code, RefusalCode::duplicate_cycle);
  const auto fired = alerts(RuleId::cycle_indicator_failed);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].episode.occurrences, 1);
  EXPECT_EQ(fired[0].state(), AlertState::open);
  EXPECT_EQ(ever_opened(RuleId::cycle_indicator_failed), 1u);
}

TEST_F(Cycles, BiPositive_RecallsCyclesSinceLastNegativeAndTheSessionsThatUsedTheirItems) {
  cycle("STER-1", monitored("C1", {"PEN-1"}), 10);
  bi("C1", false, 11);
  cycle("STER-1", steam("C2", {"PEN-1"}), 20);  // recalled: after the last negative
  start("PEN-1", "S1", 30);                     // used after C2: in the recall
  end("PEN-1", "S1", 40);
  cycle("STER-1", monitored("C3", {"PEN-2"}), 50);  // the positive one
  start("PEN-2", "S2", 60);                         // used after C3: in the recall
  end("PEN-2", "S2", 70);
  cycle("STER-1", steam("C4", {"PEN-1", "PEN-2"}), 80);  // after C3: valid, ends the recall window
  start("PEN-1", "S3", 90);
  bi("C3", true, 24 * 60);

  const auto fired = alerts(RuleId::cycle_bi_positive);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject, "STER-1/C3");
  const auto recall = engine_.recall("STER-1/C3");
  ASSERT_TRUE(recall);
  EXPECT_EQ(recall->cycles, (std::vector<std::string>{"STER-1/C2", "STER-1/C3"}));
  ASSERT_EQ(recall->sessions.size(), 2u);
  EXPECT_EQ(recall->sessions[0].session.str(), "S1");
  EXPECT_EQ(recall->sessions[0].patient.str(), "pt-S1");
  EXPECT_EQ(recall->sessions[1].session.str(), "S2");
  EXPECT_EQ(engine_.cycle("STER-1/C1")->state(), CycleState::valid);
  EXPECT_EQ(engine_.cycle("STER-1/C2")->state(), CycleState::recalled);
  EXPECT_EQ(engine_.cycle("STER-1/C4")->state(), CycleState::valid);
}

TEST_F(Cycles, BiPositive_RecallListsEveryItemOfTheLoadsAndEachSessionsPatientOperatorAndTime) {
  birth("PEN-3");
  cycle("STER-1", monitored("C1", {"PEN-1"}), 10);
  bi("C1", false, 11);
  cycle("STER-1", steam("C2", {"PEN-1", "PEN-2"}), 20);  // PEN-2 is never used afterwards
  cycle("STER-1", monitored("C3", {"PEN-3"}), 30);
  start("PEN-1", "S1", 40);
  end("PEN-1", "S1", 50);
  start("PEN-3", "S3", 45);
  end("PEN-3", "S3", 55);
  bi("C3", true, 24 * 60);

  const auto recall = engine_.recall("STER-1/C3");
  ASSERT_TRUE(recall);
  EXPECT_EQ(recall->bi_read_at, at_minute(24 * 60));
  EXPECT_EQ(recall->cycles, (std::vector<std::string>{"STER-1/C2", "STER-1/C3"}));
  EXPECT_EQ(recall->devices, (std::vector<DeviceId>{DeviceId{"PEN-1"}, DeviceId{"PEN-2"}, DeviceId{"PEN-3"}}));
  ASSERT_EQ(recall->sessions.size(), 2u);
  const auto& first = recall->sessions[0];
  EXPECT_EQ(first.pen.str(), "PEN-1");
  EXPECT_EQ(first.session.str(), "S1");
  EXPECT_EQ(first.started, at_minute(40));
  EXPECT_EQ(first.operator_id.str(), "op-anna");
  EXPECT_EQ(first.patient.str(), "pt-S1");
  EXPECT_EQ(first.after_cycle, "STER-1/C2");
  const auto& second = recall->sessions[1];
  EXPECT_EQ(second.pen.str(), "PEN-3");
  EXPECT_EQ(second.session.str(), "S3");
  EXPECT_EQ(second.started, at_minute(45));
  EXPECT_EQ(second.patient.str(), "pt-S3");
  EXPECT_EQ(second.after_cycle, "STER-1/C3");
}

// A pen reprocessed by several cycles of one recall: each session names the recalled cycle that last
// reprocessed the pen before it, not the oldest one the recall reaches it through (the store-side trace
// of the recall report names it so too).
TEST_F(Cycles, BiPositive_RecallNamesTheLastRecalledCycleBeforeEachSession) {
  cycle("STER-1", steam("C1", {"PEN-1"}), 10);
  start("PEN-1", "S1", 20);
  end("PEN-1", "S1", 30);
  cycle("STER-1", steam("C2", {"PEN-1"}), 40);
  start("PEN-1", "S2", 50);
  end("PEN-1", "S2", 60);
  cycle("STER-1", monitored("C3", {"PEN-1"}), 70);  // the positive one
  start("PEN-1", "S3", 80);
  end("PEN-1", "S3", 90);
  cycle("STER-1", steam("C4", {"PEN-1"}), 100);  // after C3: valid, ends the recall window
  start("PEN-1", "S4", 110);
  end("PEN-1", "S4", 120);
  bi("C3", true, 24 * 60);

  const auto recall = engine_.recall("STER-1/C3");
  ASSERT_TRUE(recall);
  EXPECT_EQ(recall->cycles, (std::vector<std::string>{"STER-1/C1", "STER-1/C2", "STER-1/C3"}));
  EXPECT_EQ(recall->devices, (std::vector<DeviceId>{DeviceId{"PEN-1"}}));
  std::vector<std::pair<std::string, std::string>> sessions;
  for (const auto& s : recall->sessions) sessions.emplace_back(s.session.str(), s.after_cycle);
  EXPECT_EQ(sessions, (std::vector<std::pair<std::string, std::string>>{
                          {"S1", "STER-1/C1"}, {"S2", "STER-1/C2"}, {"S3", "STER-1/C3"}}));

  // Computed from the state, not stored: an engine restored from a snapshot lists the same.
  const auto restored = Engine::from_snapshot(default_policy(), engine_.snapshot()).recall("STER-1/C3");
  ASSERT_TRUE(restored);
  std::vector<std::pair<std::string, std::string>> again;
  for (const auto& s : restored->sessions) again.emplace_back(s.session.str(), s.after_cycle);
  EXPECT_EQ(again, sessions);
}

// Sessions that started in the same millisecond are listed by pen, whichever cycle reached them first.
TEST_F(Cycles, BiPositive_RecallListsSessionsStartedTogetherByPen) {
  cycle("STER-1", steam("C1", {"PEN-2", "PEN-1"}), 10);
  cycle("STER-1", monitored("C2", {"PEN-2"}), 20);  // the positive one
  start("PEN-2", "S9", 30);
  start("PEN-1", "S1", 30);
  bi("C2", true, 24 * 60);

  const auto recall = engine_.recall("STER-1/C2");
  ASSERT_TRUE(recall);
  ASSERT_EQ(recall->sessions.size(), 2u);
  EXPECT_EQ(recall->sessions[0].pen.str(), "PEN-1");
  EXPECT_EQ(recall->sessions[0].after_cycle, "STER-1/C1");
  EXPECT_EQ(recall->sessions[1].pen.str(), "PEN-2");
  EXPECT_EQ(recall->sessions[1].after_cycle, "STER-1/C2");
}

TEST_F(Cycles, BiPositive_QuietOnNegative) {
  cycle("STER-1", monitored("C1", {"PEN-1"}), 10);
  EXPECT_EQ(engine_.cycle("STER-1/C1")->state(), CycleState::awaiting_bi);
  bi("C1", false, 24 * 60);
  EXPECT_EQ(alert_count(), 0u);
  EXPECT_EQ(engine_.cycle("STER-1/C1")->state(), CycleState::valid);
}

TEST_F(Cycles, BiPositive_NeverResolvesByItselfAndARecalledPenNeedsReprocessing) {
  cycle("STER-1", monitored("C1", {"PEN-1"}), 10);
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::ready);
  bi("C1", true, 24 * 60);
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::needs_reprocessing);
  cycle("STER-1", steam("C2", {"PEN-1"}), 24 * 60 + 10);
  EXPECT_EQ(device("PEN-1").hygiene, Hygiene::ready);
  const auto fired = alerts(RuleId::cycle_bi_positive);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].state(), AlertState::open);
  const auto resolved =
      engine_.resolve(fired[0].id, "token:lead", "recall completed, patients informed", at_minute(1500));
  EXPECT_TRUE(resolved.accepted());
  EXPECT_EQ(engine_.alert(fired[0].id)->state(), AlertState::resolved);
}

// The result entered a second time on the sterilizer (a new message, not a redelivery) is the same
// condition: the alert someone already acknowledged stays, and nothing claims it never held.
TEST_F(Cycles, BiPositive_ARepeatedPositiveResultKeepsTheAlert) {
  cycle("STER-1", monitored("C1", {"PEN-1"}), 10);
  bi("C1", true, 24 * 60);
  const auto first = alerts(RuleId::cycle_bi_positive);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_TRUE(engine_.acknowledge(first[0].id, "token:lead", "recall started", at_minute(24 * 60 + 1)).accepted());
  const auto again = bi("C1", true, 24 * 60 + 5);
  for (const auto& change : again.alerts) {
    EXPECT_NE(change.transition, Transition::withdrawn) << change.alert.id;
    EXPECT_NE(change.transition, Transition::opened) << change.alert.id;
  }
  const auto fired = alerts(RuleId::cycle_bi_positive);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].id, first[0].id);
  EXPECT_EQ(fired[0].state(), AlertState::acknowledged);
  EXPECT_EQ(ever_opened(RuleId::cycle_bi_positive), 1u);
}

TEST_F(Cycles, BiPositive_LateNegativeOfAnEarlierCycleShrinksTheRecall) {
  cycle("STER-1", monitored("C1", {"PEN-1"}), 10);
  cycle("STER-1", monitored("C2", {"PEN-2"}), 20);
  bi("C2", true, 1000);
  EXPECT_EQ(engine_.recall("STER-1/C2")->cycles.size(), 2u);
  bi("C1", false, 900);  // read earlier, reported later
  EXPECT_EQ(engine_.recall("STER-1/C2")->cycles, (std::vector<std::string>{"STER-1/C2"}));
  EXPECT_EQ(engine_.cycle("STER-1/C1")->state(), CycleState::valid);
}

class DailyTest : public FleetFixture {
 protected:
  void SetUp() override {
    birth("PEN-1");
    birth("STER-1", protocol::DeviceKind::sterilizer);
  }
};

TEST_F(DailyTest, Missing_FiresOnFirstPrevacLoadWithoutATest) {
  cycle("STER-1", steam("C1", {"PEN-1"}), 10);
  const auto fired = alerts(RuleId::daily_test_missing);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].subject, "STER-1");
}

TEST_F(DailyTest, Missing_QuietWhenTestPassedBeforeFirstLoad) {
  bowie_dick("STER-1", true, 5);
  cycle("STER-1", steam("C1", {"PEN-1"}), 10);
  EXPECT_EQ(alert_count(), 0u);
}

TEST_F(DailyTest, Missing_QuietForGravityCycles) {
  cycle("STER-1", steam("C1", {"PEN-1"}, 121, 1800, protocol::Method::steam_gravity), 10);
  EXPECT_EQ(alert_count(), 0u);
}

TEST_F(DailyTest, Missing_YesterdaysTestDoesNotCount) {
  bowie_dick("STER-1", true, -60);  // 07:00 on day one
  cycle("STER-1", steam("C1", {"PEN-1"}), 24 * 60);
  EXPECT_EQ(alerts(RuleId::daily_test_missing).size(), 1u);
}

TEST_F(DailyTest, Missing_QuietWhenTheTestPassedAtMidnightUtcOfThatDay) {
  send_at("STER-1", protocol::BowieDickTest{protocol::PassFail::pass},
          *protocol::parse_timestamp("2026-11-03T00:00:00Z"));
  cycle("STER-1", steam("C1", {"PEN-1"}), 24 * 60);
  EXPECT_TRUE(alerts(RuleId::daily_test_missing).empty());
}

TEST_F(DailyTest, Missing_FiresWhenTheTestPassedInTheLastMillisecondOfTheDayBefore) {
  send_at("STER-1", protocol::BowieDickTest{protocol::PassFail::pass},
          *protocol::parse_timestamp("2026-11-03T00:00:00Z") - 1ms);
  cycle("STER-1", steam("C1", {"PEN-1"}), 24 * 60);
  EXPECT_EQ(alerts(RuleId::daily_test_missing).size(), 1u);
}

TEST_F(DailyTest, Missing_DeduplicatesAcrossDaysAndResolvesOnPass) {
  cycle("STER-1", steam("C1", {"PEN-1"}), 10);
  cycle("STER-1", steam("C2", {"PEN-1"}), 24 * 60 + 10);
  auto fired = alerts(RuleId::daily_test_missing);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].episode.occurrences, 2);
  bowie_dick("STER-1", true, 24 * 60 + 20);
  fired = alerts(RuleId::daily_test_missing);
  EXPECT_EQ(fired[0].state(), AlertState::resolved);
}

TEST_F(DailyTest, Failed_FiresDeduplicatesAndResolvesOnPass) {
  bowie_dick("STER-1", false, 5);
  bowie_dick("STER-1", false, 6);
  auto fired = alerts(RuleId::daily_test_failed);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].episode.occurrences, 2);
  bowie_dick("STER-1", true, 7);
  fired = alerts(RuleId::daily_test_failed);
  EXPECT_EQ(fired[0].state(), AlertState::resolved);
  cycle("STER-1", steam("C1", {"PEN-1"}), 10);
  EXPECT_TRUE(alerts(RuleId::daily_test_missing).empty());
}

TEST_F(DailyTest, Failed_QuietOnPass) {
  bowie_dick("STER-1", true, 5);
  EXPECT_TRUE(alerts(RuleId::daily_test_failed).empty());
}

}  // namespace
}  // namespace sterifleet::engine::testing
