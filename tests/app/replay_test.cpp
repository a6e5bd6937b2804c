#include "replay.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "sterifleet/protocol/codec.hpp"

namespace sterifleet::app {
namespace {

using namespace std::chrono_literals;
using protocol::DeviceId;

const auto kStart = *protocol::parse_timestamp("2026-11-02T08:00:00Z");

class Recording {
 public:
  Recording& add(const std::string& device, protocol::Body body, std::chrono::minutes at) {
    const protocol::DeviceMessage m{
        protocol::ClinicId{"north"}, {DeviceId{device}, 1, ++seq_[device], kStart + at}, std::move(body)};
    text_ << nlohmann::json{{"topic", protocol::topic_of(m)}, {"payload", nlohmann::json::parse(protocol::encode(m))}}
                 .dump()
          << '\n';
    return *this;
  }
  Recording& raw(const std::string& line) {
    text_ << line << '\n';
    return *this;
  }
  std::vector<nlohmann::json> replay(ReplayOptions options = {engine::default_policy(), std::nullopt}) const {
    std::istringstream in(text_.str());
    std::ostringstream out;
    app::replay(in, out, options);
    std::vector<nlohmann::json> lines;
    std::istringstream result(out.str());
    for (std::string line; std::getline(result, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }

 private:
  std::ostringstream text_;
  std::map<std::string, std::uint64_t> seq_;
};

protocol::SessionStart session(const std::string& id, const std::string& cartridge) {
  return {protocol::SessionId{id},
          {protocol::CartridgeId{cartridge}, protocol::LotId{"L"}, *protocol::parse_date("2027-01-01"), 12, 100000,
           std::nullopt},
          protocol::Millimetres{1},
          protocol::Hertz{100},
          protocol::OperatorId{"op"},
          protocol::PatientRef{"pt"},
          protocol::TreatmentArea::cheek};
}

protocol::CycleComplete cycle(const std::string& id, int seconds) {
  protocol::CycleComplete c;
  c.cycle = protocol::CycleId{id};
  c.method = protocol::Method::steam_gravity;
  c.wrapped = true;
  c.temperature = protocol::Celsius{121};
  c.exposure = std::chrono::seconds{seconds};
  c.pressure = protocol::Kilopascals{205};
  c.load = {DeviceId{"PEN-1"}};
  c.operator_id = protocol::OperatorId{"op"};
  return c;
}

Recording clinic_day() {
  Recording r;
  r.add("PEN-1", protocol::Birth{protocol::DeviceKind::pen, "Dermapen 4", "1", std::nullopt}, 0min)
      .add("STER-1", protocol::Birth{protocol::DeviceKind::sterilizer, "Tuttnauer", "1", std::nullopt}, 0min)
      .add("PEN-1", session("S1", "CRT-1"), 10min)
      .add("PEN-1", protocol::SessionEnd{protocol::SessionId{"S1"}, 100, 60s}, 20min)
      .add("STER-1", cycle("C1", 1700), 30min)
      .add("PEN-1", session("S2", "CRT-2"), 60min);
  return r;
}

TEST(Replay, ReportsAlertsThenCyclesInAStableOrder) {
  const auto lines = clinic_day().replay();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["kind"], "alert");
  EXPECT_EQ(lines[0]["rule"], "cycle.parameters_insufficient");
  EXPECT_EQ(lines[0]["subject"], "STER-1/C1");
  EXPECT_EQ(lines[0]["severity"], "critical");
  EXPECT_EQ(lines[0]["state"], "open");
  EXPECT_EQ(lines[1]["rule"], "device.used_without_reprocessing");
  EXPECT_EQ(lines[1]["subject"], "PEN-1");
  EXPECT_EQ(lines[2]["kind"], "cycle");
  EXPECT_EQ(lines[2]["cycle"], "STER-1/C1");
  EXPECT_EQ(lines[2]["valid"], false);
  EXPECT_EQ(lines[2]["reasons"][0],
            "exposure 28.33 min at 121.0 °C is shorter than the 30 min minimum for "
            "gravity-displacement steam, wrapped");
}

TEST(Replay, WhatIfPolicyChangesTheVerdict) {
  auto parsed =
      engine::parse_policy("[[reprocessing.steam_gravity.wrapped]]\ncelsius = 121\nminutes = 25\n", "what-if");
  const auto lines = clinic_day().replay({std::get<engine::Policy>(parsed), std::nullopt});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["kind"], "cycle");
  EXPECT_EQ(lines[0]["valid"], true);
}

TEST(Replay, UntilStopsAtThatDeviceTime) {
  const auto lines = clinic_day().replay({engine::default_policy(), kStart + 25min});
  EXPECT_TRUE(lines.empty());
}

TEST(Replay, BadLinesAreReportedWithTheirNumberAndReason) {
  Recording r;
  r.raw("not json").raw(R"({"topic":"sterifleet/v1/north/PEN-1/event","payload":{"v":2}})");
  const auto lines = r.replay();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["kind"], "rejected");
  EXPECT_EQ(lines[0]["line"], 1);
  EXPECT_EQ(lines[0]["reason"], "bad_line");
  EXPECT_EQ(lines[1]["line"], 2);
  EXPECT_EQ(lines[1]["reason"], "unsupported_version");
}

}  // namespace
}  // namespace sterifleet::app
