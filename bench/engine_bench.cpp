// Engine throughput (events/s, single thread) and memory per tracked device, over realistic traffic:
// pens with telemetry every minute, sessions with fresh cartridges, reprocessing cycles, BI results.
//   cmake --preset release && cmake --build --preset release --target engine_bench
//   build/release/bench/engine_bench
#include <benchmark/benchmark.h>
#include <malloc.h>

#include "sterifleet/engine/engine.hpp"

namespace {

using namespace sterifleet;
using namespace std::chrono_literals;
using protocol::DeviceId;

const auto kStart = *protocol::parse_timestamp("2026-11-02T08:00:00Z");

struct Traffic {
  std::vector<protocol::DeviceMessage> messages;
  std::size_t devices = 0;
};

// `clinics` x (`pens` + 1 sterilizer), `days` working days of 8 sessions a pen, in device-time order.
Traffic fleet_traffic(int clinics, int pens, int days) {
  Traffic t;
  std::map<std::string, std::uint64_t> seq;
  auto emit = [&](const std::string& clinic, const std::string& device, protocol::Body body, protocol::Timestamp ts) {
    t.messages.push_back({protocol::ClinicId{clinic}, {DeviceId{device}, 1, ++seq[device], ts}, std::move(body)});
  };
  for (int c = 0; c < clinics; ++c) {
    const std::string clinic = "clinic-" + std::to_string(c);
    const std::string sterilizer = clinic + "-STER";
    emit(clinic, sterilizer, protocol::Birth{protocol::DeviceKind::sterilizer, "Lisa", "2.0", std::nullopt}, kStart);
    for (int p = 0; p < pens; ++p) {
      emit(clinic, clinic + "-PEN-" + std::to_string(p),
           protocol::Birth{protocol::DeviceKind::pen, "Dermapen 4", "4.2", 120s}, kStart);
    }
    for (int day = 0; day < days; ++day) {
      const auto morning = kStart + std::chrono::days{day};
      emit(clinic, sterilizer, protocol::BowieDickTest{protocol::PassFail::pass}, morning + 1min);
      for (int slot = 0; slot < 8; ++slot) {
        const auto slot_start = morning + 10min + slot * 60min;
        std::vector<DeviceId> load;
        for (int p = 0; p < pens; ++p) {
          const std::string pen = clinic + "-PEN-" + std::to_string(p);
          const std::string session = 'S' + std::to_string(day) + "-" + std::to_string(slot);
          const protocol::Cartridge cartridge{protocol::CartridgeId{pen + "-" + session},
                                              protocol::LotId{"L1"},
                                              *protocol::parse_date("2027-12-31"),
                                              12,
                                              400000,
                                              3600s};
          emit(clinic, pen, protocol::CartridgeInsert{cartridge}, slot_start);
          emit(clinic, pen,
               protocol::SessionStart{protocol::SessionId{session}, cartridge, protocol::Millimetres{1.0},
                                      protocol::Hertz{110}, protocol::OperatorId{"op-1"},
                                      protocol::PatientRef{"pt-" + pen + session}, protocol::TreatmentArea::cheek},
               slot_start + 1min);
          for (int minute = 0; minute < 30; ++minute) {
            emit(
                clinic, pen,
                protocol::Telemetry{protocol::Percent{90.0 - slot}, std::chrono::seconds{100000 + minute * 60}, 1000000,
                                    protocol::Millimetres{1.0}, protocol::Hertz{110}, protocol::SessionId{session}},
                slot_start + 2min + minute * 1min);
          }
          emit(clinic, pen, protocol::SessionEnd{protocol::SessionId{session}, 120000, 1800s}, slot_start + 32min);
          emit(clinic, pen, protocol::CartridgeRemove{cartridge.id}, slot_start + 33min);
          load.push_back(DeviceId{pen});
        }
        protocol::CycleComplete cycle;
        cycle.cycle = protocol::CycleId{'C' + std::to_string(day) + "-" + std::to_string(slot)};
        cycle.method = protocol::Method::steam_prevac;
        cycle.wrapped = true;
        cycle.temperature = protocol::Celsius{134};
        cycle.exposure = 240s;
        cycle.pressure = protocol::Kilopascals{304};
        cycle.load = std::move(load);
        cycle.operator_id = protocol::OperatorId{"op-2"};
        emit(clinic, sterilizer, std::move(cycle), slot_start + 50min);
      }
    }
    t.devices += static_cast<std::size_t>(pens) + 1;
  }
  std::stable_sort(t.messages.begin(), t.messages.end(),
                   [](const auto& a, const auto& b) { return a.envelope.ts < b.envelope.ts; });
  return t;
}

void BM_EngineIngest(benchmark::State& state) {
  const auto traffic = fleet_traffic(static_cast<int>(state.range(0)), 10, 2);
  for (auto _ : state) {
    engine::Engine engine(engine::default_policy(), kStart);
    for (const auto& m : traffic.messages) {
      auto effects = engine.apply(m, m.envelope.ts);
      benchmark::DoNotOptimize(effects);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(traffic.messages.size()));
  state.counters["devices"] = static_cast<double>(traffic.devices);
}
BENCHMARK(BM_EngineIngest)->Arg(5)->Arg(50)->Unit(benchmark::kMillisecond);

// Memory after `days` days with daily compaction at a two-day horizon: flat in the number of days.
void BM_EngineMemoryPerDevice(benchmark::State& state) {
  const auto traffic = fleet_traffic(static_cast<int>(state.range(0)), 10, static_cast<int>(state.range(1)));
  for (auto _ : state) {
    // glibc's count of bytes in use: what the engine holds, allocator overhead included.
    const auto before = mallinfo2().uordblks;
    auto engine = std::make_unique<engine::Engine>(engine::default_policy(), kStart);
    auto next_compaction = kStart + std::chrono::days{1};
    for (const auto& m : traffic.messages) {
      engine->apply(m, m.envelope.ts);
      if (m.envelope.ts >= next_compaction) {
        engine->compact(m.envelope.ts - std::chrono::days{2});
        next_compaction += std::chrono::days{1};
      }
    }
    const auto after = mallinfo2().uordblks;
    state.counters["bytes_per_device"] = static_cast<double>(after - before) / static_cast<double>(traffic.devices);
    state.counters["messages"] = static_cast<double>(traffic.messages.size());
  }
}
BENCHMARK(BM_EngineMemoryPerDevice)
    ->Args({50, 1})
    ->Args({50, 7})
    ->Args({50, 14})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
