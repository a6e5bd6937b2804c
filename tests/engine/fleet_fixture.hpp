// A small clinic to drive the engine in tests: builds well-formed messages with per-device sequence
// numbers and minute offsets from a fixed start, and finds alerts by rule.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "sterifleet/engine/engine.hpp"

namespace sterifleet::engine::testing {

using namespace std::chrono_literals;
using protocol::Body;
using protocol::DeviceMessage;

inline const Timestamp kStart = *protocol::parse_timestamp("2026-11-02T08:00:00Z");  // a Monday

inline Timestamp at_minute(double minutes) {
  return kStart + std::chrono::milliseconds(static_cast<std::int64_t>(minutes * 60'000));
}

inline protocol::Cartridge cartridge(const std::string& id, std::string expires = "2027-06-30",
                                     std::int64_t max_strokes = 300'000) {
  return protocol::Cartridge{
      protocol::CartridgeId{id}, protocol::LotId{"L1"}, *protocol::parse_date(expires), 12, max_strokes, 3600s};
}

inline protocol::CycleComplete steam(const std::string& id, std::vector<std::string> load, double celsius = 134,
                                     int seconds = 240, protocol::Method method = protocol::Method::steam_prevac) {
  protocol::CycleComplete c;
  c.cycle = protocol::CycleId{id};
  c.method = method;
  c.wrapped = true;
  c.temperature = protocol::Celsius{celsius};
  c.exposure = std::chrono::seconds{seconds};
  c.pressure = protocol::Kilopascals{304};
  for (auto& d : load) c.load.emplace_back(std::move(d));
  c.operator_id = protocol::OperatorId{"op-tom"};
  return c;
}

class FleetFixture : public ::testing::Test {
 protected:
  explicit FleetFixture(Policy policy = default_policy()) : engine_(std::move(policy), kStart - 1h) {}

  DeviceMessage message(const std::string& device, Body body, Timestamp ts) {
    auto& seq = seq_[device];
    return DeviceMessage{protocol::ClinicId{"north"}, {protocol::DeviceId{device}, 1, ++seq, ts}, std::move(body)};
  }

  /// Applies a message built earlier with message(): the device's next seq was taken then, so messages
  /// built in device order and applied in another arrive as a replay delivers them.
  Effects deliver(const DeviceMessage& built) {
    auto effects = engine_.apply(built, built.envelope.ts);
    remember(effects);
    return effects;
  }

  /// All alerts of a rule, withdrawn ones included, oldest first.
  std::vector<Alert> history(RuleId rule) const {
    std::vector<Alert> out;
    engine_.for_each_alert([&](const Alert& a) {
      if (a.rule == rule) out.push_back(a);
    });
    std::sort(out.begin(), out.end(),
              [](const Alert& a, const Alert& b) { return a.episode.opened_at < b.episode.opened_at; });
    return out;
  }

  Effects send(const std::string& device, Body body, double minute) {
    return send_at(device, std::move(body), at_minute(minute));
  }

  /// For boundaries a minute offset cannot name exactly (the last millisecond of a day).
  Effects send_at(const std::string& device, Body body, Timestamp ts) {
    auto effects = engine_.apply(message(device, std::move(body), ts), ts);
    remember(effects);
    return effects;
  }

  Effects birth(const std::string& device, protocol::DeviceKind kind = protocol::DeviceKind::pen, double minute = 0,
                std::string model = "Dermapen 4") {
    return send(device, protocol::Birth{kind, std::move(model), "1.0", std::nullopt}, minute);
  }

  Effects start(const std::string& pen, const std::string& session, double minute,
                protocol::Cartridge c = protocol::Cartridge{}, double depth = 1.0,
                protocol::TreatmentArea area = protocol::TreatmentArea::cheek) {
    if (c.id.empty()) c = cartridge("CRT-" + pen + "-" + session);
    return send(pen, session_start(session, std::move(c), depth, area), minute);
  }

  static protocol::SessionStart session_start(const std::string& session, protocol::Cartridge c, double depth = 1.0,
                                              protocol::TreatmentArea area = protocol::TreatmentArea::cheek) {
    return protocol::SessionStart{protocol::SessionId{session},
                                  std::move(c),
                                  protocol::Millimetres{depth},
                                  protocol::Hertz{100},
                                  protocol::OperatorId{"op-anna"},
                                  protocol::PatientRef{"pt-" + session},
                                  area};
  }

  Effects end(const std::string& pen, const std::string& session, double minute, std::int64_t strokes = 1000,
              int runtime_s = 600) {
    return send(pen, protocol::SessionEnd{protocol::SessionId{session}, strokes, std::chrono::seconds{runtime_s}},
                minute);
  }

  Effects remove(const std::string& pen, const std::string& cartridge_id, double minute) {
    return send(pen, protocol::CartridgeRemove{protocol::CartridgeId{cartridge_id}}, minute);
  }

  Effects cycle(const std::string& sterilizer, protocol::CycleComplete c, double minute) {
    return send(sterilizer, std::move(c), minute);
  }

  Effects bowie_dick(const std::string& sterilizer, bool pass, double minute) {
    return send(sterilizer, protocol::BowieDickTest{pass ? protocol::PassFail::pass : protocol::PassFail::fail},
                minute);
  }

  /// A payload as it came off the wire on `device`'s `channel` of `clinic`, received at `minute`, kept
  /// under `quarantine_id` if it is rejected.
  Judgement receive(const std::string& device, const std::string& channel, const std::string& payload, double minute,
                    std::int64_t quarantine_id = 1, const std::string& clinic = "north") {
    const std::string topic = "sterifleet/v1/" + clinic + "/" + device + "/" + channel;
    auto judged = engine_.receive({topic, payload, at_minute(minute), false, quarantine_id}, {});
    remember(judged.effects);
    return judged;
  }

  /// The payload of `device`'s next message (its next seq), as the codec writes it.
  std::string payload(const std::string& device, Body body, double minute) {
    return protocol::encode(message(device, std::move(body), at_minute(minute)));
  }

  static protocol::Telemetry telemetry_body(double battery = 90) {
    return {protocol::Percent{battery}, 3600s, 1000, protocol::Millimetres{1}, protocol::Hertz{100}, std::nullopt};
  }

  Effects telemetry(const std::string& pen, double battery, double minute, std::int64_t runtime_s = 3600,
                    std::optional<std::string> session = std::nullopt, double depth = 1.0) {
    protocol::Telemetry t{protocol::Percent{battery},
                          std::chrono::seconds{runtime_s},
                          1000,
                          protocol::Millimetres{depth},
                          protocol::Hertz{100},
                          std::nullopt};
    if (session) t.session = protocol::SessionId{*session};
    return send(pen, t, minute);
  }

  /// Alerts of a rule, withdrawn ones excluded, oldest first.
  std::vector<Alert> alerts(RuleId rule) const {
    std::vector<Alert> out;
    engine_.for_each_alert([&](const Alert& a) {
      if (a.rule == rule && !a.withdrawn) out.push_back(a);
    });
    std::sort(out.begin(), out.end(),
              [](const Alert& a, const Alert& b) { return a.episode.opened_at < b.episode.opened_at; });
    return out;
  }

  std::size_t alert_count() const {
    std::size_t n = 0;
    engine_.for_each_alert([&](const Alert& a) { n += a.withdrawn ? 0 : 1; });
    return n;
  }

  const DeviceRecord& device(const std::string& id) const { return *engine_.device(protocol::DeviceId{id}); }

  /// Every lock or unlock sent so far, in order, as "lock:PEN-1" / "unlock:PEN-1".
  std::vector<std::string> lock_commands() const { return locks_; }

  Engine engine_;

 private:
  void remember(const Effects& effects) {
    for (const auto& c : effects.commands) {
      if (std::holds_alternative<protocol::Lock>(c.body)) locks_.push_back("lock:" + c.device.str());
      if (std::holds_alternative<protocol::Unlock>(c.body)) locks_.push_back("unlock:" + c.device.str());
    }
  }

  std::map<std::string, std::uint64_t> seq_;
  std::vector<std::string> locks_;
};

}  // namespace sterifleet::engine::testing
