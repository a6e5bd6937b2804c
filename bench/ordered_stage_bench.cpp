// The daemon's ordered stage without MQTT: what sterifleetd does for each message after the receipt log
// (decode and validate, judge by every rule, store in one SQLite transaction per group), per message,
// over the flood traffic bench/ingest_bench.sh sends through a broker. Its inverse is the most messages a
// second one core can store, whatever the broker and Paho manage; ingest_bench.sh measures the whole.
//   cmake --build --preset release --target ordered_stage_bench
//   build/release/bench/ordered_stage_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>

#include "decode_paths.hpp"
#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/sim/flood_traffic.hpp"

namespace {

using namespace sterifleet;

constexpr std::uint64_t kMessages = 200'000;

class NullSink : public fleet::CommandSink {
 public:
  void publish(const std::string&, const std::string&) override {}
};

struct Wire {
  std::string topic;
  std::string payload;
};

std::vector<Wire> flood(int devices, protocol::Timestamp now) {
  sim::FloodTraffic traffic(devices, {});
  std::vector<Wire> wire;
  wire.reserve(kMessages);
  for (std::uint64_t n = 0; n < kMessages; ++n) {
    const auto message = traffic.next(n, now);
    wire.push_back({protocol::topic_of(message), protocol::encode(message)});
  }
  return wire;
}

class ScratchFolder {
 public:
  ScratchFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ordered-stage-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~ScratchFolder() { std::filesystem::remove_all(path_); }
  std::string file(const char* name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Arguments: messages a group (a transaction), devices sending. Registered in main().
void BM_OrderedStage(benchmark::State& state) {
  const auto group = static_cast<std::size_t>(state.range(0));
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  const auto wire = flood(static_cast<int>(state.range(1)), now);
  ScratchFolder folder;
  auto store = store::open_sqlite(folder.file("sterifleet.db"));
  NullSink commands;
  fleet::EventBus events;
  fleet::Metrics metrics;
  fleet::Fleet fleet(engine::default_policy(), *store, commands, events, metrics, [now] { return now; });
  fleet.restore();
  std::vector<fleet::Fleet::Received> batch;
  std::size_t next = 0;
  std::int64_t receipt = 0;
  for (auto _ : state) {
    if (next + group > wire.size()) {
      state.SkipWithError("out of messages: fewer iterations");
      break;
    }
    batch.clear();
    for (std::size_t i = 0; i < group; ++i, ++next) {
      batch.push_back({wire[next].topic, wire[next].payload, false, std::chrono::steady_clock::now()});
    }
    receipt += static_cast<std::int64_t>(group);
    benchmark::DoNotOptimize(fleet.ingest(batch, receipt));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(next));
  state.counters["us_per_message"] =
      benchmark::Counter(static_cast<double>(next), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
// Decoding and validating alone, the part of the stage that needs no order: as the daemon does (simdjson,
// falling back to nlohmann only for what it refuses), and through the explaining path alone (nlohmann's
// DOM, which every message took before).
void BM_Decode(benchmark::State& state) {
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  const auto wire = flood(1000, now);
  const protocol::DecodeContext context{now, std::chrono::seconds(300)};
  const bool explained = state.range(0) == 1;
  std::size_t next = 0;
  for (auto _ : state) {
    const auto& message = wire[next++ % wire.size()];
    if (explained) {
      benchmark::DoNotOptimize(
          protocol::detail::decode_explained(*protocol::parse_topic(message.topic), message.payload, context));
    } else {
      benchmark::DoNotOptimize(protocol::decode(message.topic, message.payload, context));
    }
  }
  state.SetLabel(explained ? "nlohmann only" : "as the daemon decodes");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Decode)->Arg(0)->Arg(1);

}  // namespace

int main(int argc, char** argv) {
  // The same 150,000 messages whatever the group size, so that each run ends with an equally big store.
  constexpr std::int64_t messages = 150'000;
  for (const auto& [group, devices] : {std::pair{100, 1000}, {1000, 1000}, {1000, 100}, {2000, 1000}}) {
    benchmark::RegisterBenchmark("BM_OrderedStage", BM_OrderedStage)
        ->Args({group, devices})
        ->Iterations(messages / group)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
