// How long a compliance report takes over a year of a large chain: 500 pens in 50 clinics, six
// sessions a pen a day, each after a sterilizer cycle, a few violations a day and a positive BI a
// quarter per clinic: over a million sessions. The store is filled once through its commit API in big
// transactions (and kept, so later runs time only the reports), then the whole chain's year is
// exported as CSV, and one clinic's month as CSV, JSON and PDF. Not a test: run from a release build.
//
// Usage: report_bench <directory> [pens, default 500]
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "sterifleet/report/compliance.hpp"
#include "sterifleet/store/store.hpp"

namespace {

using namespace sterifleet;
using protocol::Timestamp;
using std::chrono::days;
using std::chrono::minutes;

const Timestamp kYear = *protocol::parse_timestamp("2026-01-01T00:00:00Z");
constexpr int kPensPerClinic = 10;
constexpr int kCyclesPerDay = 6;  // a cycle before each round of sessions reprocesses every pen
constexpr int kDays = 365;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// This process's CPU time: on a machine shared with other builds, wall time says more about them.
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

long max_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

std::string clinic_name(int c) { return "clinic-" + std::to_string(c); }
std::string pen_name(int c, int p) { return "PEN-" + std::to_string(c * kPensPerClinic + p); }
std::string sterilizer_name(int c, int round) { return "STER-" + std::to_string(c) + "-" + std::to_string(round % 2); }
std::string cycle_id(int day, int round) { return "C" + std::to_string(day) + "-" + std::to_string(round); }

// A clinic day: round r's cycle at 07:30 + 90 min * r reprocesses every pen; each pen then treats one
// session. One pen a day skips its reprocessing once (a violation); each quarter a BI reads positive.
class ChainYear {
 public:
  explicit ChainYear(int clinics) : clinics_(clinics) {}

  void fill(store::Store& store) {
    store::Commit commit;
    std::size_t rows = 0;
    for (int day = 0; day < kDays; ++day) {
      for (int c = 0; c < clinics_; ++c) {
        add_day(commit, c, day);
        rows += static_cast<std::size_t>(kCyclesPerDay * (kPensPerClinic + 1));
      }
      if (rows >= 50000 || day == kDays - 1) {
        store.commit(commit);
        commit = {};
        rows = 0;
        std::fprintf(stderr, "\rfilling: day %d of %d", day + 1, kDays);
      }
    }
    std::fprintf(stderr, "\n");
  }

 private:
  void add_day(store::Commit& commit, int c, int day) {
    const Timestamp midnight = kYear + days(day);
    const bool positive_day = day % 91 == 45;
    for (int round = 0; round < kCyclesPerDay; ++round) {
      const Timestamp at = midnight + minutes(450 + 90 * round);
      const auto sterilizer = sterilizer_name(c, round);
      engine::CycleRecord cycle;
      cycle.clinic = protocol::ClinicId{clinic_name(c)};
      cycle.sterilizer = protocol::DeviceId{sterilizer};
      cycle.cycle.cycle = protocol::CycleId{cycle_id(day, round)};
      cycle.key = sterilizer + "/" + cycle.cycle.cycle.str();
      cycle.message = sterilizer + "/1/" + std::to_string(day * kCyclesPerDay + round);
      cycle.ts = at;
      cycle.cycle.method = protocol::Method::steam_prevac;
      cycle.cycle.wrapped = true;
      cycle.cycle.temperature = protocol::Celsius{134};
      cycle.cycle.exposure = std::chrono::seconds{300};
      cycle.cycle.pressure = protocol::Kilopascals{304};
      for (int p = 0; p < kPensPerClinic; ++p) cycle.cycle.load.emplace_back(pen_name(c, p));
      cycle.cycle.operator_id = protocol::OperatorId{"op-" + std::to_string(c)};
      cycle.entered_by = "device:" + sterilizer;
      if (round < 2) {  // each sterilizer's first load of the day carries a BI
        cycle.cycle.biological_indicator = true;
        const bool positive = positive_day && round == 1;
        cycle.bi = engine::BiRecord{at + std::chrono::hours(24),
                                    positive ? protocol::BiReading::positive : protocol::BiReading::negative,
                                    cycle.message + "-bi"};
        if (positive) {
          cycle.recalled_at = cycle.bi->ts;
          cycle.recalled_by = cycle.key;
        }
      }
      commit.cycles.push_back({cycle});
      for (int p = 0; p < kPensPerClinic; ++p) add_session(commit, c, p, day, round, at, cycle.key);
    }
    add_alert(commit, c, day, midnight);
  }

  void add_session(store::Commit& commit, int c, int p, int day, int round, Timestamp after_cycle,
                   const std::string& cycle_key) {
    const auto pen = pen_name(c, p);
    const std::string id = "S" + std::to_string(day) + "-" + std::to_string(round);
    engine::SessionRecord s;
    s.id = protocol::SessionId{id};
    s.key = pen + "/1/" + std::to_string(2 * (day * kCyclesPerDay + round));
    s.started = after_cycle + minutes(20 + 6 * p);
    s.ended = s.started + minutes(5);
    s.start.session = s.id;
    s.start.cartridge = protocol::Cartridge{protocol::CartridgeId{"K-" + pen + "-" + id},
                                            protocol::LotId{"LOT-2026"},
                                            *protocol::parse_date("2027-06-30"),
                                            12,
                                            300000,
                                            std::nullopt};
    s.start.depth = protocol::Millimetres{1.5};
    s.start.speed = protocol::Hertz{100};
    s.start.operator_id = protocol::OperatorId{"op-" + std::to_string(c) + "-" + std::to_string(p % 3)};
    s.start.patient = protocol::PatientRef{"pt-" + std::to_string((c * 7919 + day * 31 + round * 7 + p) % 100000)};
    s.start.area = protocol::TreatmentArea::cheek;
    s.end = protocol::SessionEnd{s.id, 1200, std::chrono::seconds{300}};
    // Once a day one pen's session skips the reprocessing before it.
    s.clearance = (p == day % kPensPerClinic && round == 3) ? std::string() : cycle_key;
    commit.sessions.push_back({protocol::ClinicId{clinic_name(c)}, protocol::DeviceId{pen}, std::move(s)});
  }

  void add_alert(store::Commit& commit, int c, int day, Timestamp midnight) {
    const auto pen = pen_name(c, day % kPensPerClinic);
    engine::Alert alert;
    alert.clinic = protocol::ClinicId{clinic_name(c)};
    alert.rule = engine::RuleId::used_without_reprocessing;
    alert.severity = engine::Severity::critical;
    alert.subject = pen;
    alert.episode.trigger = pen + "/1/" + std::to_string(2 * (day * kCyclesPerDay + 3));
    alert.episode.device = protocol::DeviceId{pen};
    alert.episode.opened_at = midnight + minutes(450 + 270 + 20 + 6 * (day % kPensPerClinic));
    alert.episode.summary = "session started on " + pen + " without a valid reprocessing since its previous session";
    alert.id = engine::alert_id(alert.clinic, alert.rule, alert.subject, alert.episode.trigger);
    switch (day % 3) {
      case 0:
        alert.episode.cleared_at = alert.episode.opened_at + minutes(60);
        alert.episode.clearance = "reprocessed by " + sterilizer_name(c, 4) + "/" + cycle_id(day, 4);
        break;
      case 1:
        alert.manual = engine::ManualResolution{"token:mia", alert.episode.opened_at + minutes(30),
                                                "pen taken out of service, patient informed", 0};
        break;
      default:
        alert.ack = engine::Acknowledgement{"token:mia", alert.episode.opened_at + minutes(5), "on it"};
    }
    commit.alerts.push_back({engine::Transition::opened, std::move(alert)});
  }

  int clinics_;
};

struct Timed {
  report::Made made;
  double seconds = 0;
  double cpu = 0;
};

Timed time_report(store::Store& store, std::optional<std::string> clinic, Timestamp from, Timestamp to,
                  report::Format format, const std::filesystem::path& file) {
  report::ComplianceRequest request;
  request.clinic = std::move(clinic);
  request.from = from;
  request.to = to;
  request.format = format;
  request.actor = "cli";
  request.cause = "report_bench";
  request.now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  report::StreamOutput output(out);
  const auto started = std::chrono::steady_clock::now();
  const double cpu_started = cpu_seconds();
  Timed timed;
  timed.made = report::make_compliance_report(store, request, output, [&](const engine::AuditRecord& record) {
    store::Commit commit;
    commit.audit.push_back(record);
    store.commit(commit);
  });
  out.close();
  timed.seconds = seconds_since(started);
  timed.cpu = cpu_seconds() - cpu_started;
  return timed;
}

// The floor the Store interface sets: visiting the year's session rows (their text, unparsed), nothing
// else; and, for comparison, the same rows in pages parsed into JSON, as the API reads them.
void time_session_reads(store::Store& store) {
  const auto from = kYear;
  const auto to = kYear + days(kDays);
  auto started = std::chrono::steady_clock::now();
  std::size_t rows = 0;
  std::size_t bytes = 0;
  store.scan_sessions({std::nullopt, std::nullopt, from, to}, [&](std::string_view row) {
    ++rows;
    bytes += row.size();
  });
  std::printf("%-36s %7.2f s  %9zu sessions %7.1f MB of rows (the floor of the export)\n",
              "store.scan_sessions(), chain, year", seconds_since(started), rows, static_cast<double>(bytes) / 1e6);

  store::RecordQuery query;
  query.from = from;
  query.to = to;
  query.page.limit = store::max_page_limit;
  started = std::chrono::steady_clock::now();
  rows = 0;
  do {
    auto page = store.sessions(query);
    rows += page.rows.size();
    query.page.after = std::move(page.next);
  } while (!query.page.after.empty());
  std::printf("%-36s %7.2f s  %9zu sessions (pages of %zu parsed into JSON)\n", "store.sessions(), chain, year",
              seconds_since(started), rows, store::max_page_limit);
}

void print(const char* what, const Timed& t) {
  const auto& c = t.made.counts;
  std::printf(
      "%-36s %7.2f s (cpu %5.2f s)  %9lld sessions %7lld cycles %6lld violations %4lld recalls  %7.1f MB  %6.0f k "
      "sessions/s\n",
      what, t.seconds, t.cpu, static_cast<long long>(c.sessions), static_cast<long long>(c.cycles),
      static_cast<long long>(c.violations), static_cast<long long>(c.recalls), static_cast<double>(t.made.bytes) / 1e6,
      static_cast<double>(c.sessions) / t.seconds / 1e3);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: report_bench <directory> [pens, default 500]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const int pens = argc > 2 ? std::stoi(argv[2]) : 500;
  const int clinics = std::max(1, pens / kPensPerClinic);
  std::filesystem::create_directories(dir);
  const auto db = dir / ("chain-" + std::to_string(clinics * kPensPerClinic) + "-pens.db");
  if (!std::filesystem::exists(db)) {
    const auto started = std::chrono::steady_clock::now();
    auto store = store::open_sqlite(db.string());
    ChainYear(clinics).fill(*store);
    std::printf("filled %s in %.1f s (%.0f MB)\n", db.c_str(), seconds_since(started),
                static_cast<double>(std::filesystem::file_size(db)) / 1e6);
  }
  auto store = store::open_sqlite(db.string());
  const auto year =
      time_report(*store, std::nullopt, kYear, kYear + days(kDays), report::Format::csv, dir / "chain-year.csv");
  print("csv, whole chain, one year", year);
  std::printf("  max RSS %ld MiB; sha256 %s\n", max_rss_mib(), year.made.seal.sha256.c_str());
  time_session_reads(*store);
  const auto may = kYear + days(120);
  print("csv, one clinic, one month",
        time_report(*store, "clinic-7", may, may + days(31), report::Format::csv, dir / "clinic-month.csv"));
  print("json, one clinic, one month",
        time_report(*store, "clinic-7", may, may + days(31), report::Format::json, dir / "clinic-month.json"));
  print("pdf, one clinic, one month",
        time_report(*store, "clinic-7", may, may + days(31), report::Format::pdf, dir / "clinic-month.pdf"));
  return 0;
}
