// A recall traced through the store lists what Engine::recall lists when the reprocessing that cleared a
// session was itself recalled, by another sterilizer's positive BI: that reprocessing did not make the pen
// safe, so the session still used a pen of the first recall's load.
#include <gtest/gtest.h>

#include "clinic_day.hpp"
#include "sterifleet/http/record_views.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/report/recall.hpp"

namespace sterifleet::report::testing {
namespace {

using nlohmann::json;
using protocol::DeviceKind;

protocol::Body birth(DeviceKind kind, const std::string& model) {
  return protocol::Birth{kind, model, "2.1.0", std::nullopt};
}

protocol::Body start(const std::string& session) {
  return protocol::SessionStart{
      protocol::SessionId{session},
      protocol::Cartridge{protocol::CartridgeId{"C-" + session}, protocol::LotId{"LOT-7"},
                          *protocol::parse_date("2027-06-30"), 12, 300000, std::chrono::seconds{3600}},
      protocol::Millimetres{1.5},
      protocol::Hertz{100},
      protocol::OperatorId{"op-anna"},
      protocol::PatientRef{"pt-" + session},
      protocol::TreatmentArea::cheek};
}

protocol::Body end(const std::string& session) {
  return protocol::SessionEnd{protocol::SessionId{session}, 1200, std::chrono::seconds{900}};
}

protocol::Body steam(const std::string& cycle, bool bi) {
  protocol::CycleComplete c;
  c.cycle = protocol::CycleId{cycle};
  c.method = protocol::Method::steam_prevac;
  c.wrapped = true;
  c.temperature = protocol::Celsius{134};
  c.exposure = std::chrono::seconds{300};
  c.pressure = protocol::Kilopascals{304};
  c.load.emplace_back("PEN-1");
  c.chemical_indicator = protocol::PassFail::pass;
  c.operator_id = protocol::OperatorId{"op-tom"};
  c.biological_indicator = bi;
  return c;
}

protocol::Body positive_bi(const std::string& cycle) {
  return protocol::BiResult{protocol::CycleId{cycle}, protocol::BiReading::positive};
}

// PEN-1 is reprocessed by STER-A/CYC-1, treats S1, is reprocessed by STER-B/CYC-1 and treats S2 (cleared by
// STER-B/CYC-1), is reprocessed by STER-B/CYC-2 (no BI, never recalled) and treats S3. Then both CYC-1s'
// BIs read positive.
class CrossRecall {
 public:
  CrossRecall() : store_(store::open_sqlite((dir_.path() / "sterifleet.db").string())) {
    fleet_ = std::make_unique<fleet::Fleet>(engine::default_policy(), *store_, commands_, events_, metrics_,
                                            [this] { return now_; });
    fleet_->restore();
    send("PEN-1", birth(DeviceKind::pen, "Dermapen 4"), at(7));
    send("STER-A", birth(DeviceKind::sterilizer, "Lisa 500"), at(7));
    send("STER-B", birth(DeviceKind::sterilizer, "Lisa 500"), at(7));
    send("STER-A", protocol::BowieDickTest{protocol::PassFail::pass}, at(7, 1));
    send("STER-B", protocol::BowieDickTest{protocol::PassFail::pass}, at(7, 1));
    send("STER-A", steam("CYC-1", true), at(7, 10));
    send("PEN-1", start("S1"), at(8));
    send("PEN-1", end("S1"), at(8, 20));
    send("STER-B", steam("CYC-1", true), at(9));
    send("PEN-1", start("S2"), at(10));
    send("PEN-1", end("S2"), at(10, 20));
    send("STER-B", steam("CYC-2", false), at(11));
    send("PEN-1", start("S3"), at(12));
    send("PEN-1", end("S3"), at(12, 20));
    send("STER-A", positive_bi("CYC-1"), at(13));
    send("STER-B", positive_bi("CYC-1"), at(13, 30));
    now_ = at(14);
  }

  store::Store& store() { return *store_; }

  json engine_recall(const std::string& cycle) {
    return fleet_->read([&](const engine::Engine& engine) { return http::recall_json(*engine.recall(cycle)); });
  }

  std::string recall_csv(const std::string& cycle) {
    RecallRequest request;
    request.cycle = cycle;
    request.format = Format::csv;
    request.actor = "token:ann";
    request.cause = "test";
    request.now = now_;
    StringOutput out;
    make_recall_report(*store_, request, out, [this](const engine::AuditRecord& record) {
      store::Commit commit;
      commit.audit.push_back(record);
      store_->commit(commit);
    });
    return std::move(out.text());
  }

 private:
  void send(const std::string& device, protocol::Body body, Timestamp when) {
    now_ = when;
    const protocol::DeviceMessage message{
        protocol::ClinicId{"north"}, {protocol::DeviceId{device}, 1, ++seq_[device], when}, std::move(body)};
    const auto result = fleet_->ingest(protocol::topic_of(message), protocol::encode(message));
    ASSERT_EQ(result.disposition, fleet::Fleet::Disposition::stored) << result.reason << ": " << result.detail;
  }

  sterifleet::testing::TempDir dir_{"sterifleet-recall"};
  std::unique_ptr<store::Store> store_;
  fleet::Metrics metrics_;
  fleet::EventBus events_;
  NullSink commands_;
  Timestamp now_ = kDay;
  std::unique_ptr<fleet::Fleet> fleet_;
  std::map<std::string, std::uint64_t> seq_;
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

}  // namespace
}  // namespace sterifleet::report::testing
