// A recall traced through the store lists what Engine::recall lists when the reprocessing that cleared a
// session was itself recalled, by another sterilizer's positive BI: that reprocessing did not make the pen
// safe, so the session still used a pen of the first recall's load. And both name, for each session of a
// recall of several cycles, the recalled cycle that last reprocessed its pen before it.
#include <gtest/gtest.h>

#include "clinic_day.hpp"
#include "sterifleet/http/record_views.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/report/recall.hpp"

namespace sterifleet::report::testing {
namespace {

using nlohmann::json;
using protocol::DeviceKind;

// A clinic's fleet on a store, driven by the messages a test sends, with the recall as the engine lists it
// and as the sealed report traces it from the store.
class RecallFleet : public ScriptedFleet {
 public:
  RecallFleet() : ScriptedFleet("sterifleet-recall", kDay) {}

  json engine_recall(const std::string& cycle) {
    return fleet().read([&](const engine::Engine& engine) { return http::recall_json(*engine.recall(cycle)); });
  }

  std::string recall_csv(const std::string& cycle) {
    RecallRequest request;
    request.cycle = cycle;
    request.format = Format::csv;
    request.actor = "token:ann";
    request.cause = "test";
    request.now = now();
    StringOutput out;
    make_recall_report(store(), request, out, [this](const engine::AuditRecord& record) {
      store::Commit commit;
      commit.audit.push_back(record);
      store().commit(commit);
    });
    return std::move(out.text());
  }

  /// A message of the clinic north.
  void send(const std::string& device, protocol::Body body, Timestamp when) {
    ScriptedFleet::send("north", device, std::move(body), when);
  }
};

// PEN-1 is reprocessed by STER-A/CYC-1, treats S1, is reprocessed by STER-B/CYC-1 and treats S2 (cleared by
// STER-B/CYC-1), is reprocessed by STER-B/CYC-2 (no BI, never recalled) and treats S3. Then both CYC-1s'
// BIs read positive.
class CrossRecall : public RecallFleet {
 public:
  CrossRecall() {
    send("PEN-1", birth(DeviceKind::pen, "Dermapen 4"), at(7));
    send("STER-A", birth(DeviceKind::sterilizer, "Lisa 500"), at(7));
    send("STER-B", birth(DeviceKind::sterilizer, "Lisa 500"), at(7));
    send("STER-A", protocol::BowieDickTest{protocol::PassFail::pass}, at(7, 1));
    send("STER-B", protocol::BowieDickTest{protocol::PassFail::pass}, at(7, 1));
    send("STER-A", steam_cycle("CYC-1", {"PEN-1"}, true), at(7, 10));
    send("PEN-1", session_start("S1"), at(8));
    send("PEN-1", session_end("S1"), at(8, 20));
    send("STER-B", steam_cycle("CYC-1", {"PEN-1"}, true), at(9));
    send("PEN-1", session_start("S2"), at(10));
    send("PEN-1", session_end("S2"), at(10, 20));
    send("STER-B", steam_cycle("CYC-2", {"PEN-1"}, false), at(11));
    send("PEN-1", session_start("S3"), at(12));
    send("PEN-1", session_end("S3"), at(12, 20));
    send("STER-A", bi_result("CYC-1", true), at(13));
    send("STER-B", bi_result("CYC-1", true), at(13, 30));
    set_now(at(14));
  }
};

std::vector<std::string> sessions_of(const json& recall) {
  std::vector<std::string> out;
  for (const auto& s : recall.at("sessions")) out.push_back(s.at("session").get<std::string>());
  return out;
}

TEST(RecallTrace, GoesOnPastAReprocessingRecalledByAnotherPositiveBi) {
  CrossRecall fleet;
  store::RecordQuery pen;
  pen.device = "PEN-1";
  std::vector<std::string> clearances;
  for (const auto& s : fleet.store().sessions(pen).rows) clearances.push_back(s.at("clearance").get<std::string>());
  // S2 was legal when it started: STER-B/CYC-1 was recalled only later.
  EXPECT_EQ(clearances, (std::vector<std::string>{"STER-A/CYC-1", "STER-B/CYC-1", "STER-B/CYC-2"}));

  const auto engine = fleet.engine_recall("STER-A/CYC-1");
  EXPECT_EQ(sessions_of(engine), (std::vector<std::string>{"S1", "S2"}));

  const auto records = parse_csv(fleet.recall_csv("STER-A/CYC-1"));
  std::vector<std::string> traced;
  for (const auto& row : rows(records, "recall_session")) traced.push_back(row.at("session"));
  EXPECT_EQ(traced, sessions_of(engine));
  EXPECT_EQ(rows(records, "recall").at(0).at("sessions"), "2");

  // The other recall lists S2 alone: STER-B/CYC-2 reprocessed the pen before S3.
  EXPECT_EQ(sessions_of(fleet.engine_recall("STER-B/CYC-1")), (std::vector<std::string>{"S2"}));
  std::vector<std::string> other;
  for (const auto& row : rows(parse_csv(fleet.recall_csv("STER-B/CYC-1")), "recall_session"))
    other.push_back(row.at("session"));
  EXPECT_EQ(other, (std::vector<std::string>{"S2"}));
}

// PEN-1 is reprocessed by STER-A/CYC-1, CYC-2 and CYC-3 (no negative BI between them), treating S1, S2 and
// S3 after each; CYC-3's BI reads positive and recalls all three.
TEST(RecallTrace, NamesTheRecalledCycleThatLastReprocessedThePenAsTheEngineDoes) {
  RecallFleet fleet;
  fleet.send("PEN-1", birth(DeviceKind::pen, "Dermapen 4"), at(7));
  fleet.send("STER-A", birth(DeviceKind::sterilizer, "Lisa 500"), at(7));
  fleet.send("STER-A", protocol::BowieDickTest{protocol::PassFail::pass}, at(7, 1));
  fleet.send("STER-A", steam_cycle("CYC-1", {"PEN-1"}, false), at(7, 10));
  fleet.send("PEN-1", session_start("S1"), at(8));
  fleet.send("PEN-1", session_end("S1"), at(8, 20));
  fleet.send("STER-A", steam_cycle("CYC-2", {"PEN-1"}, false), at(9));
  fleet.send("PEN-1", session_start("S2"), at(10));
  fleet.send("PEN-1", session_end("S2"), at(10, 20));
  fleet.send("STER-A", steam_cycle("CYC-3", {"PEN-1"}, true), at(11));
  fleet.send("PEN-1", session_start("S3"), at(12));
  fleet.send("PEN-1", session_end("S3"), at(12, 20));
  fleet.send("STER-A", bi_result("CYC-3", true), at(13));
  fleet.set_now(at(14));

  const auto engine = fleet.engine_recall("STER-A/CYC-3");
  EXPECT_EQ(engine.at("cycles"), json({"STER-A/CYC-1", "STER-A/CYC-2", "STER-A/CYC-3"}));
  std::vector<std::pair<std::string, std::string>> listed;
  for (const auto& s : engine.at("sessions")) listed.emplace_back(s.at("session"), s.at("after_cycle"));
  EXPECT_EQ(listed, (std::vector<std::pair<std::string, std::string>>{
                        {"S1", "STER-A/CYC-1"}, {"S2", "STER-A/CYC-2"}, {"S3", "STER-A/CYC-3"}}));

  std::vector<std::pair<std::string, std::string>> traced;
  for (const auto& row : rows(parse_csv(fleet.recall_csv("STER-A/CYC-3")), "recall_session"))
    traced.emplace_back(row.at("session"), row.at("after_cycle"));
  EXPECT_EQ(traced, listed);
}

}  // namespace
}  // namespace sterifleet::report::testing
