#include "scripted_fleet.hpp"

#include <gtest/gtest.h>

#include "sterifleet/protocol/codec.hpp"

namespace sterifleet::report::testing {

protocol::Body birth(protocol::DeviceKind kind, const std::string& model) {
  return protocol::Birth{kind, model, "2.1.0", std::nullopt};
}

protocol::Body session_start(const std::string& session, std::optional<std::string> cartridge,
                             std::optional<std::string> patient) {
  return protocol::SessionStart{
      protocol::SessionId{session},
      protocol::Cartridge{protocol::CartridgeId{cartridge.value_or("C-" + session)}, protocol::LotId{"LOT-7"},
                          *protocol::parse_date("2027-06-30"), 12, 300000, std::chrono::seconds{3600}},
      protocol::Millimetres{1.5},
      protocol::Hertz{100},
      protocol::OperatorId{"op-anna"},
      protocol::PatientRef{patient.value_or("pt-" + session)},
      protocol::TreatmentArea::cheek};
}

protocol::Body session_end(const std::string& session) {
  return protocol::SessionEnd{protocol::SessionId{session}, 1200, std::chrono::seconds{900}};
}

protocol::Body steam_cycle(const std::string& cycle, std::vector<std::string> load, bool bi, double temp_c,
                           int exposure_s, bool ci_pass) {
  protocol::CycleComplete c;
  c.cycle = protocol::CycleId{cycle};
  c.method = protocol::Method::steam_prevac;
  c.wrapped = true;
  c.temperature = protocol::Celsius{temp_c};
  c.exposure = std::chrono::seconds{exposure_s};
  c.pressure = protocol::Kilopascals{304};
  for (auto& device : load) c.load.emplace_back(std::move(device));
  c.chemical_indicator = ci_pass ? protocol::PassFail::pass : protocol::PassFail::fail;
  c.operator_id = protocol::OperatorId{"op-tom"};
  c.biological_indicator = bi;
  return c;
}

protocol::Body bi_result(const std::string& cycle, bool positive) {
  return protocol::BiResult{protocol::CycleId{cycle},
                            positive ? protocol::BiReading::positive : protocol::BiReading::negative};
}

ScriptedFleet::ScriptedFleet(const std::string& folder_name, Timestamp start)
    : dir_(folder_name), store_(store::open_sqlite(db_path())), now_(start) {
  fleet_ = std::make_unique<fleet::Fleet>(engine::default_policy(), *store_, commands_, events_, metrics_,
                                          [this] { return now_; });
  fleet_->restore();
}

ScriptedFleet::~ScriptedFleet() = default;

void ScriptedFleet::send(const std::string& clinic, const std::string& device, protocol::Body body, Timestamp when) {
  now_ = when;
  const protocol::DeviceMessage message{
      protocol::ClinicId{clinic}, {protocol::DeviceId{device}, 1, ++seq_[device], when}, std::move(body)};
  const auto result = fleet_->ingest(protocol::topic_of(message), protocol::encode(message));
  ASSERT_EQ(result.disposition, fleet::Fleet::Disposition::stored) << result.reason << ": " << result.detail;
}

}  // namespace sterifleet::report::testing
