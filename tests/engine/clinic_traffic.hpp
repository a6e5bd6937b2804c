// Three days of one clinic's traffic with violations of every device-time rule, one stream a device.
#pragma once

#include <random>

#include "fleet_fixture.hpp"
#include "sterifleet/testing/arrival_orders.hpp"

namespace sterifleet::engine::testing {

using Stream = std::vector<protocol::DeviceMessage>;
using sterifleet::testing::interleave;  // device-time order is NOT kept

// Three days of one clinic with violations of every device-time rule sprinkled in.
class ClinicTraffic {
 public:
  /// Another clinic's traffic is the same with its own device ids (`device_prefix` before each).
  explicit ClinicTraffic(std::string clinic = "north", std::string device_prefix = "")
      : clinic_(std::move(clinic)), prefix_(std::move(device_prefix)) {}

  std::map<std::string, Stream> build() {
    for (const auto* pen : {"PEN-1", "PEN-2", "PEN-3", "PEN-4"}) {
      emit(pen, protocol::Birth{protocol::DeviceKind::pen, "Dermapen 4", "1.0", std::nullopt}, 0);
    }
    emit("STER-1", protocol::Birth{protocol::DeviceKind::sterilizer, "Lisa", "1.0", std::nullopt}, 0);
    std::mt19937_64 rng(7);
    int cycle_no = 0;
    for (int day = 0; day < 3; ++day) {
      const double base = day * 24 * 60;
      if (day != 1) emit("STER-1", protocol::BowieDickTest{protocol::PassFail::pass}, base + 1);  // day 1: missing
      for (int slot = 0; slot < 6; ++slot) {
        const double t = base + 10 + slot * 60;
        std::vector<std::string> load;
        for (int p = 1; p <= 4; ++p) {
          const std::string pen = "PEN-" + std::to_string(p);
          const std::string session = 'D' + std::to_string(day) + "S" + std::to_string(slot);
          std::string cartridge_id = "CRT-" + pen + "-" + session;
          if (day == 1 && slot == 2 && p == 2) cartridge_id = "CRT-PEN-1-D1S1";  // reused across pens
          const std::string expires = (day == 2 && slot == 3 && p == 3) ? "2026-11-01" : "2027-06-30";
          const double depth = (day == 0 && slot == 4 && p == 4) ? 2.5 : 1.0;
          emit(pen,
               protocol::SessionStart{protocol::SessionId{session}, cartridge(cartridge_id, expires, 50'000),
                                      protocol::Millimetres{depth}, protocol::Hertz{100}, protocol::OperatorId{"op"},
                                      protocol::PatientRef{"pt-" + pen + session}, protocol::TreatmentArea::cheek},
               t + p);
          const double battery = 100 - day * 10 - slot * 15.0 * (p == 1);
          emit(pen,
               protocol::Telemetry{protocol::Percent{battery}, std::chrono::seconds{3600}, 100,
                                   protocol::Millimetres{depth}, protocol::Hertz{100}, protocol::SessionId{session}},
               t + p + 5);
          const std::int64_t strokes = (day == 2 && slot == 1 && p == 1) ? 60'000 : 20'000;
          emit(pen, protocol::SessionEnd{protocol::SessionId{session}, strokes, std::chrono::seconds{900}}, t + p + 20);
          emit(pen, protocol::CartridgeRemove{protocol::CartridgeId{cartridge_id}}, t + p + 21);
          const bool skip = (day == 0 && slot == 2 && p == 3) || (rng() % 17 == 0);
          if (!skip) load.push_back(prefix_ + pen);
        }
        auto c = steam("C" + std::to_string(++cycle_no), load);
        if (cycle_no == 5) c.exposure = std::chrono::seconds{200};  // insufficient
        if (cycle_no == 9) c.chemical_indicator = protocol::PassFail::fail;
        if (cycle_no % 4 == 0) c.biological_indicator = true;
        emit("STER-1", c, t + 40);
        if (c.biological_indicator) {
          const bool positive = cycle_no == 8;
          emit("STER-1",
               protocol::BiResult{c.cycle, positive ? protocol::BiReading::positive : protocol::BiReading::negative},
               t + 40 + 20 * 60);
        }
      }
    }
    // A device publishes in time order (a BI result is read and sent hours after its cycle).
    for (auto& [id, stream] : streams_) {
      std::stable_sort(stream.begin(), stream.end(),
                       [](const auto& a, const auto& b) { return a.envelope.ts < b.envelope.ts; });
      for (std::size_t i = 0; i < stream.size(); ++i) stream[i].envelope.seq = i + 1;
    }
    return streams_;
  }

 private:
  void emit(const std::string& device, protocol::Body body, double minute) {
    auto& stream = streams_[prefix_ + device];
    stream.push_back({protocol::ClinicId{clinic_},
                      {protocol::DeviceId{prefix_ + device}, 1, stream.size() + 1, at_minute(minute)},
                      std::move(body)});
  }
  std::string clinic_;
  std::string prefix_;
  std::map<std::string, Stream> streams_;
};

}  // namespace sterifleet::engine::testing
