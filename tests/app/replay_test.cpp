#include "replay.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "sterifleet/protocol/codec.hpp"

namespace sterifleet::app {
namespace {

using namespace std::chrono_literals;
using protocol::DeviceId;

const auto kStart = *protocol::parse_timestamp("2026-11-02T08:00:00Z");

std::string replay_text(const std::string& input) {
  std::istringstream in(input);
  std::ostringstream out;
  app::replay(in, out, {engine::default_policy(), std::nullopt});
  return out.str();
}

class Recording {
 public:
  Recording& add(const std::string& device, protocol::Body body, std::chrono::minutes at) {
    const protocol::DeviceMessage m{
        protocol::ClinicId{"north"}, {DeviceId{device}, 1, ++seq_[device], kStart + at}, std::move(body)};
    lines_.emplace_back(device, nlohmann::json{{"topic", protocol::topic_of(m)},
                                               {"payload", nlohmann::json::parse(protocol::encode(m))}}
                                    .dump());
    return *this;
  }
  Recording& raw(const std::string& line) {
    lines_.emplace_back("", line);
    return *this;
  }
  std::vector<nlohmann::json> replay(ReplayOptions options = {engine::default_policy(), std::nullopt}) const {
    std::istringstream in(text());
    std::ostringstream out;
    app::replay(in, out, options);
    std::vector<nlohmann::json> lines;
    std::istringstream result(out.str());
    for (std::string line; std::getline(result, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }

  /// The lines as recorded.
  std::string text() const {
    std::string out;
    for (const auto& [device, line] : lines_) out += line + '\n';
    return out;
  }

  /// The same lines as another clinic connection would deliver them: each device's lines in their own
  /// order (as MQTT keeps them), the devices interleaved at random.
  std::string interleaved(std::uint64_t seed) const {
    std::mt19937_64 rng(seed);
    auto streams = by_device();
    std::vector<std::pair<const std::vector<std::string>*, std::size_t>> cursors;
    for (const auto& [device, lines] : streams) cursors.emplace_back(&lines, 0);
    std::string out;
    while (!cursors.empty()) {
      const auto pick = rng() % cursors.size();
      auto& [lines, next] = cursors[pick];
      out += (*lines)[next++] + '\n';
      if (next == lines->size()) cursors.erase(cursors.begin() + static_cast<std::ptrdiff_t>(pick));
    }
    return out;
  }

  /// One device's whole backlog after another's, in the devices' order or its reverse.
  std::string device_by_device(bool reversed) const {
    const auto streams = by_device();
    std::vector<const std::vector<std::string>*> order;
    for (const auto& [device, lines] : streams) order.push_back(&lines);
    if (reversed) std::reverse(order.begin(), order.end());
    std::string out;
    for (const auto* lines : order) {
      for (const auto& line : *lines) out += line + '\n';
    }
    return out;
  }

 private:
  std::map<std::string, std::vector<std::string>> by_device() const {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& [device, line] : lines_) out[device].push_back(line);
    return out;
  }

  std::vector<std::pair<std::string, std::string>> lines_;  ///< device, line
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

protocol::CycleComplete cycle(const std::string& id, int seconds, std::vector<DeviceId> load = {DeviceId{"PEN-1"}}) {
  protocol::CycleComplete c;
  c.cycle = protocol::CycleId{id};
  c.method = protocol::Method::steam_gravity;
  c.wrapped = true;
  c.temperature = protocol::Celsius{121};
  c.exposure = std::chrono::seconds{seconds};
  c.pressure = protocol::Kilopascals{205};
  c.load = std::move(load);
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

// Two pens and a sterilizer over a morning: a cartridge reused across the pens, a pen used without
// reprocessing, a session too deep, a short cycle, a positive BI that recalls earlier cycles. Delivered
// in other interleavings of the devices, cycles arrive after the sessions they cleared and sessions after
// the cycles that recalled them, which is what the engine must place by device time.
Recording clinic_morning() {
  const DeviceId pen1{"PEN-1"};
  const DeviceId pen2{"PEN-2"};
  auto deep = session("S2", "CRT-3");
  deep.depth = protocol::Millimetres{2.5};
  auto monitored = cycle("C3", 1800, {pen1, pen2});
  monitored.biological_indicator = true;
  Recording r;
  r.add("PEN-1", protocol::Birth{protocol::DeviceKind::pen, "Dermapen 4", "1", std::nullopt}, 0min)
      .add("PEN-2", protocol::Birth{protocol::DeviceKind::pen, "Dermapen 4", "1", std::nullopt}, 0min)
      .add("STER-1", protocol::Birth{protocol::DeviceKind::sterilizer, "Tuttnauer", "1", std::nullopt}, 0min)
      .add("PEN-1", session("S1", "CRT-1"), 10min)
      .add("PEN-2", session("S1", "CRT-2"), 12min)
      .add("PEN-1", protocol::SessionEnd{protocol::SessionId{"S1"}, 100, 60s}, 20min)
      .add("PEN-1", protocol::CartridgeRemove{protocol::CartridgeId{"CRT-1"}}, 21min)
      .add("PEN-2", protocol::SessionEnd{protocol::SessionId{"S1"}, 100, 60s}, 22min)
      .add("STER-1", cycle("C1", 1800, {pen1}), 30min)
      .add("STER-1", cycle("C2", 600, {pen2}), 35min)
      .add("PEN-1", deep, 60min)
      .add("PEN-2", session("S2", "CRT-1"), 62min)
      .add("PEN-1", protocol::SessionEnd{protocol::SessionId{"S2"}, 100, 60s}, 70min)
      .add("PEN-2", protocol::SessionEnd{protocol::SessionId{"S2"}, 100, 60s}, 72min)
      .add("STER-1", monitored, 80min)
      .add("PEN-1", session("S3", "CRT-4"), 100min)
      .add("PEN-2", session("S3", "CRT-5"), 102min)
      .add("STER-1", protocol::BiResult{protocol::CycleId{"C3"}, protocol::BiReading::positive}, 140min)
      .add("PEN-1", protocol::SessionEnd{protocol::SessionId{"S3"}, 100, 60s}, 150min);
  return r;
}

TEST(Replay, OutputIsTheSameWhateverTheInterleavingOfTheDevices) {
  const auto recording = clinic_morning();
  const std::string expected = replay_text(recording.text());
  for (const auto* rule : {"cartridge.reused", "device.used_without_reprocessing", "session.depth_exceeds_policy",
                           "cycle.parameters_insufficient", "cycle.bi_positive"}) {
    EXPECT_NE(expected.find(rule), std::string::npos) << rule << " not exercised:\n" << expected;
  }
  EXPECT_EQ(expected.find("rejected"), std::string::npos) << expected;
  for (const bool reversed : {false, true}) {
    EXPECT_EQ(replay_text(recording.device_by_device(reversed)), expected) << "device by device, reversed " << reversed;
  }
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const std::string input = recording.interleaved(seed);
    ASSERT_EQ(replay_text(input), expected) << "interleaving seed " << seed << ":\n" << input;
  }
}

TEST(Replay, BadLinesAreReportedWithTheirNumberAndReason) {
  Recording r;
  r.raw("not json").raw(R"({"topic":"sterifleet/v1/north/PEN-1/event","payload":{"v":2}})");
  const auto lines = r.replay();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["kind"], "rejected");
  EXPECT_EQ(lines[0]["line"], 1);
  EXPECT_EQ(lines[0]["reason"], "bad_line");
  EXPECT_EQ(lines[1]["line"], 2);
  EXPECT_EQ(lines[1]["reason"], "unsupported_version");
  // An event that cannot be judged is an alert, as in the daemon.
  EXPECT_EQ(lines[2]["kind"], "alert");
  EXPECT_EQ(lines[2]["rule"], "device.event_rejected");
  EXPECT_EQ(lines[2]["severity"], "critical");
  EXPECT_EQ(lines[2]["subject"], "PEN-1/quarantine/1");
}

// A payload naming another device is rejected and raises device.identity_mismatch, as in the daemon.
TEST(Replay, IdentityMismatchRaisesItsAlert) {
  Recording r;
  r.add("PEN-1", protocol::Birth{protocol::DeviceKind::pen, "Dermapen 4", "1", std::nullopt}, 0min);
  const protocol::DeviceMessage other{
      protocol::ClinicId{"north"},
      {DeviceId{"PEN-2"}, 1, 7, kStart + 5min},
      protocol::Telemetry{protocol::Percent{50}, 60s, 1, protocol::Millimetres{1}, protocol::Hertz{100}, std::nullopt}};
  r.raw(nlohmann::json{{"topic", "sterifleet/v1/north/PEN-1/telemetry"}, {"payload", protocol::encode(other)}}.dump());
  const auto lines = r.replay();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["reason"], "identity_mismatch");
  EXPECT_EQ(lines[1]["rule"], "device.identity_mismatch");
  EXPECT_EQ(lines[1]["subject"], "PEN-1");
}

}  // namespace
}  // namespace sterifleet::app

namespace sterifleet::app {
namespace {

// An export of a store from before fail-safe judging marks those entries; replay judges them as then.
TEST(Replay, AMessageJudgedBeforeFailSafeIsJudgedAsItWasThen) {
  auto face = session("S1", "CRT-1");
  face.area = protocol::Listed<protocol::TreatmentArea>::other("face");
  // Built by a lambda: braced in place, GCC 12 at -O2 warns that its strings may be destroyed
  // uninitialised (-Wmaybe-uninitialized, a false positive).
  const auto m = [&]() -> protocol::DeviceMessage {
    return {protocol::ClinicId{"north"}, {DeviceId{"PEN-1"}, 1, 1, kStart}, face};
  }();
  const auto line = [&](bool before) {
    nlohmann::json out{{"topic", protocol::topic_of(m)},
                       {"payload", protocol::encode(m)},
                       {"reason", "bad_value"},
                       {"quarantine_id", 1}};
    if (before) out["judged_before_fail_safe"] = true;
    return out.dump() + "\n";
  };
  const auto then = replay_text(line(true));
  EXPECT_NE(then.find("\"reason\":\"bad_value\""), std::string::npos) << then;
  EXPECT_EQ(then.find("protocol_drift"), std::string::npos) << then;
  const auto now = replay_text(line(false));
  EXPECT_NE(now.find("device.protocol_drift"), std::string::npos) << now;
}

}  // namespace
}  // namespace sterifleet::app
