// Store throughput on this machine: commits per second of the two commits the daemon makes most
// (one telemetry message; a session start with its session row and two audit records), and audit
// verification speed. Usage: store_bench <empty directory> [audit records to verify, default 1000000]
// [only: telemetry | session | full | verify]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "store_fixtures.hpp"

namespace {

using namespace sterifleet;
using namespace sterifleet::store;
using namespace sterifleet::store::testing;
using nlohmann::json;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

long max_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

Commit session_start(std::uint64_t seq) {
  const auto when = at(0, static_cast<int>(seq));
  auto m = telemetry("PEN-0001", seq, when);
  m.type = "session.start";
  m.payload = json{{"v", 1},
                   {"device", "PEN-0001"},
                   {"boot", 1},
                   {"seq", seq},
                   {"ts", protocol::format_timestamp(when)},
                   {"type", "session.start"},
                   {"body",
                    {{"session", "S-" + std::to_string(seq)},
                     {"cartridge",
                      {{"id", "CART-" + std::to_string(seq)},
                       {"lot", "LOT-7"},
                       {"expires", "2027-01-31"},
                       {"needles", 12},
                       {"max_strokes", 50000}}},
                     {"depth_mm", 0.5},
                     {"speed_hz", 120},
                     {"operator", "OP-1"},
                     {"patient", "P-42"},
                     {"area", "cheek"}}}}
                  .dump();
  Commit c;
  c.messages.push_back(std::move(m));
  auto s = session("north", "PEN-0001", "S-" + std::to_string(seq), when);
  const auto row = engine::to_json(s);
  c.sessions.push_back(std::move(s));
  c.audit.push_back({when, "device:PEN-0001", "pen:PEN-0001", "session.start", json{{"hygiene", "ready"}},
                     json{{"hygiene", "in_use"}, {"session", row.at("session")}}, "PEN-0001/1/" + std::to_string(seq),
                     "north"});
  c.audit.push_back({when, "device:PEN-0001", "cartridge:CART-" + std::to_string(seq), "used", json(nullptr), row,
                     "PEN-0001/1/" + std::to_string(seq), "north"});
  return c;
}

template <class MakeCommit>
void measure_commits(const std::string& label, const std::string& path, const SqliteOptions& options, int count,
                     MakeCommit make) {
  auto store = open_sqlite(path, options);
  // Built beforehand: the figure is the store's, not the test data's.
  std::vector<Commit> commits;
  commits.reserve(static_cast<std::size_t>(count));
  for (int i = 1; i <= count; ++i) commits.push_back(make(static_cast<std::uint64_t>(i)));
  const auto started = std::chrono::steady_clock::now();
  for (const auto& c : commits) store->commit(c);
  const double took = seconds_since(started);
  std::printf("%-44s %7d commits in %6.3f s = %8.0f commits/s (%5.1f us each)\n", label.c_str(), count, took,
              count / took, took / count * 1e6);
}

void measure_verify(const std::string& path, int records) {
  if (!std::filesystem::exists(path)) {  // kept for the next run, so a profile sees verification alone
    auto store = open_sqlite(path);
    constexpr int per_commit = 1000;
    for (int done = 0; done < records; done += per_commit) {
      Commit c;
      for (int k = 0; k < per_commit && done + k < records; ++k) {
        const auto seq = static_cast<std::uint64_t>(done + k);
        c.audit.push_back({at(0, done + k), "device:PEN-0001", "pen:PEN-0001", "session.start",
                           json{{"hygiene", "ready"}},
                           json{{"hygiene", "in_use"}, {"session", "S-" + std::to_string(seq)}},
                           "PEN-0001/1/" + std::to_string(seq), "north"});
      }
      store->commit(c);
    }
  }
  auto store = open_sqlite(path, {.read_only = true});
  const long rss_before = max_rss_kib();
  const auto started = std::chrono::steady_clock::now();
  const auto result = store->verify_audit();
  const double took = seconds_since(started);
  std::printf(
      "verify_audit: %lld records in %.3f s = %.0f records/s, intact=%d, max RSS %ld -> %ld KiB, file %.0f MB\n",
      static_cast<long long>(result.records), took, static_cast<double>(result.records) / took, result.intact ? 1 : 0,
      rss_before, max_rss_kib(), static_cast<double>(std::filesystem::file_size(path)) / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: store_bench <empty directory> [audit records to verify]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int verify_records = argc > 2 ? std::stoi(argv[2]) : 1000000;
  const std::string only = argc > 3 ? argv[3] : "";
  auto wanted = [&](const char* part) { return only.empty() || only == part; };
  std::filesystem::create_directories(dir);
  auto telemetry_commit = [](std::uint64_t seq) {
    Commit c;
    c.messages.push_back(telemetry("PEN-0001", seq, at(0, static_cast<int>(seq))));
    return c;
  };
  if (wanted("telemetry")) {
    measure_commits("telemetry, synchronous=NORMAL", dir + "/t-normal.db", {}, 50000, telemetry_commit);
  }
  if (wanted("session")) {
    measure_commits("session start + 2 audit, synchronous=NORMAL", dir + "/s-normal.db", {}, 50000, session_start);
  }
  if (wanted("full")) {
    measure_commits("telemetry, synchronous=FULL", dir + "/t-full.db", {.synchronous = "FULL"}, 3000, telemetry_commit);
    measure_commits("session start + 2 audit, synchronous=FULL", dir + "/s-full.db", {.synchronous = "FULL"}, 3000,
                    session_start);
  }
  if (wanted("verify")) measure_verify(dir + "/verify.db", verify_records);
  return 0;
}
