// Restart time of the fleet (engine + store) with millions of stored messages, from a snapshot and without.
// Not a test: bench/restart_bench.sh runs the steps in order on one store file (release build).
//
//   restart_bench fill DB --messages N   the simulator's clinics (protocol/sim) until the journal holds N
//                                        device messages, written in big commits with the hourly
//                                        compactions a running daemon journals; continues a filled file
//   restart_bench restore DB [--snapshot]  Fleet::restore() timed, with its peak memory; then, with
//                                        --snapshot, the snapshot a clean stop writes, timed
//   restart_bench forget-snapshots DB    deletes the stored snapshots, so the next restore replays all
//   restart_bench device-queries DB      what a long device history costs the queries that read one
//                                        device: its history a page at a time (the dashboard's device
//                                        view) and a duplicate's stored payload, oldest and newest key
//
// Every step prints one JSON line.
#include <sqlite3.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/sim/scenario.hpp"

namespace {

using namespace sterifleet;
using nlohmann::json;
using protocol::Timestamp;

class NullSink : public fleet::CommandSink {
 public:
  void publish(const std::string&, const std::string&) override {}
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

/// The simulated "now" of a filled store: a minute after its last message. The daemon's clock decides
/// what compaction forgets, so the wall clock (years after the simulated days) would forget it all.
Timestamp simulated_now(const std::string& db) {
  sqlite3* handle = nullptr;
  sqlite3_stmt* query = nullptr;
  std::int64_t last = 0;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK &&
      sqlite3_prepare_v2(handle, "SELECT coalesce(max(received_at), 0) FROM messages", -1, &query, nullptr) ==
          SQLITE_OK &&
      sqlite3_step(query) == SQLITE_ROW) {
    last = sqlite3_column_int64(query, 0);
  }
  sqlite3_finalize(query);
  sqlite3_close(handle);
  return Timestamp(std::chrono::milliseconds(last)) + std::chrono::minutes(1);
}

// 20 clinics x (8 pens + 2 sterilizers), working days from 2025-01-06 with a few violations: about
// 130 000 messages a simulated day. Violations that need the daemon's commands or wall-clock pacing
// (offline, unknown device, sequence gaps) are left out: nothing answers here.
sim::ScenarioConfig fleet_config() {
  sim::ScenarioConfig config;
  config.clinics = 20;
  config.pens = 8;
  config.sterilizers = 2;
  config.seed = 7;
  config.start = *protocol::parse_timestamp("2025-01-06T00:00:00Z");
  config.end = config.start + std::chrono::days(3 * 365);
  config.speed = 0;
  config.heartbeat = std::chrono::seconds(240);
  config.follow_heartbeat = std::chrono::seconds(240);
  config.violations.rate = 0.02;
  for (const auto rule : sim::all_rules()) {
    if (rule != sim::Rule::device_offline && rule != sim::Rule::device_unknown && rule != sim::Rule::sequence_gap &&
        rule != sim::Rule::sterility_expired) {
      config.violations.kinds.insert(rule);
    }
  }
  return config;
}

/// What Fleet::ingest would store for a publish received at `at` (the simulator's own time).
void stage(const sim::Publish& publish, Timestamp at, store::Commit& commit) {
  const auto decoded = protocol::decode(publish.topic, publish.payload, {at, std::chrono::seconds(300)});
  if (!decoded) {
    commit.quarantined.push_back({0, at, publish.topic, publish.payload,
                                  std::string(protocol::to_string(decoded.error().reason)), decoded.error().message()});
    return;
  }
  store::StoredMessage row{at, publish.topic, publish.payload, {}, {}, 0, std::nullopt, std::nullopt, {}};
  // value(), not operator*: GCC cannot see that the unchecked access past the check above never
  // yields null, and warns (-Wnull-dereference) at -O2.
  const auto& inbound = decoded.value();
  if (const auto* m = std::get_if<protocol::DeviceMessage>(&inbound)) {
    row.clinic = m->clinic.str();
    row.device = m->envelope.device.str();
    row.boot = m->envelope.boot;
    row.seq = m->envelope.seq;
    row.ts = m->envelope.ts;
    row.type = std::string(protocol::type_name(m->body));
  } else {
    const auto& s = std::get<protocol::StatusMessage>(inbound);
    row.clinic = s.clinic.str();
    row.device = s.device.str();
    row.boot = s.boot;
    row.type = "status";
  }
  commit.messages.push_back(std::move(row));
}

int fill(const std::string& db, std::int64_t target) {
  const auto started = std::chrono::steady_clock::now();
  auto store = store::open_sqlite(db);
  const auto stats = store->stats();
  const std::int64_t already = stats.messages + stats.quarantined;
  sim::Scenario scenario(fleet_config());
  std::int64_t seen = 0;
  std::int64_t written = already;
  std::optional<Timestamp> next_compaction;
  Timestamp last{};
  store::Commit batch;
  auto flush = [&] {
    store->commit(batch);
    batch = {};
  };
  while (written < target) {
    const auto action = scenario.next();
    if (!action) break;
    const auto* publish = std::get_if<sim::Publish>(&action->what);
    if (!publish || !publish->first_send) continue;  // a replay is a duplicate: the daemon stores it once
    if (++seen <= already) continue;                 // stored by an earlier fill
    last = action->at;
    if (!next_compaction) next_compaction = std::chrono::ceil<std::chrono::hours>(action->at);
    if (action->at >= *next_compaction) {  // what Fleet::tick journals every hour
      batch.actions.push_back(
          {*next_compaction, "engine", "compact",
           json{{"cut", protocol::format_timestamp(*next_compaction - std::chrono::hours(24 * 7))}}});
      flush();
      *next_compaction += std::chrono::hours(1);
    }
    stage(*publish, action->at, batch);
    ++written;
    if (batch.messages.size() + batch.quarantined.size() >= 50'000) flush();
  }
  flush();
  std::cout << json{{"step", "fill"},
                    {"messages", written},
                    {"new", written - already},
                    {"simulated_until", protocol::format_timestamp(last)},
                    {"seconds", seconds_since(started)},
                    {"bytes", store->stats().bytes}}
                   .dump()
            << std::endl;
  return 0;
}

int restore(const std::string& db, bool then_snapshot) {
  const Timestamp now = simulated_now(db);
  auto store = store::open_sqlite(db);
  NullSink sink;
  fleet::EventBus events;
  fleet::Metrics metrics;
  fleet::Fleet fleet(engine::default_policy(), *store, sink, events, metrics, [now] { return now; });
  const auto started = std::chrono::steady_clock::now();
  const auto restored = fleet.restore();
  const double seconds = seconds_since(started);
  json out{{"step", "restore"},
           {"snapshot", restored.snapshot ? json(*restored.snapshot) : json(nullptr)},
           {"entries", restored.entries},
           {"seconds", seconds},
           {"peak_rss_mib", peak_rss_mib()},
           {"warnings", restored.warnings}};
  fleet.read([&](const engine::Engine& engine) {
    std::size_t devices = 0, alerts = 0;
    engine.for_each_device([&](const engine::DeviceRecord&) { ++devices; });
    engine.for_each_alert([&](const engine::Alert&) { ++alerts; });
    out["devices"] = devices;
    out["alerts_in_memory"] = alerts;
    // The engine's share of a snapshot, apart from the compaction and the store around it.
    auto timed = std::chrono::steady_clock::now();
    const std::string bytes = engine.snapshot();
    out["serialize_seconds"] = seconds_since(timed);
    timed = std::chrono::steady_clock::now();
    (void)engine::Engine::from_snapshot(engine::default_policy(), bytes);
    out["load_seconds"] = seconds_since(timed);
    out["state_bytes"] = bytes.size();
  });
  if (then_snapshot) {
    const auto snapshot = fleet.snapshot();
    out["snapshot_written"] = {{"commit", snapshot.commit},
                               {"bytes", snapshot.bytes},
                               {"locked_seconds", snapshot.locked_seconds},
                               {"store_seconds", snapshot.store_seconds}};
  }
  std::cout << out.dump() << std::endl;
  return 0;
}

int forget_snapshots(const std::string& db) {
  sqlite3* handle = nullptr;
  char* error = nullptr;
  const bool ok = sqlite3_open(db.c_str(), &handle) == SQLITE_OK &&
                  sqlite3_exec(handle, "DELETE FROM snapshots", nullptr, nullptr, &error) == SQLITE_OK;
  std::cout << json{{"step", "forget-snapshots"}, {"ok", ok}, {"error", error ? error : ""}}.dump() << std::endl;
  sqlite3_free(error);
  sqlite3_close(handle);
  return ok ? 0 : 1;
}

/// Mean milliseconds of `runs` calls.
template <class Call>
double mean_ms(int runs, Call call) {
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < runs; ++i) call();
  return seconds_since(started) * 1000.0 / runs;
}

int device_queries(const std::string& db) {
  auto store = store::open_sqlite(db);
  store::RecordQuery last;
  last.page.limit = 1;
  const auto newest = store->messages(last).rows;
  if (newest.empty()) {
    std::cerr << "restart_bench: " << db << " holds no messages\n";
    return 1;
  }
  store::RecordQuery history;
  history.device = newest[0].at("device").get<std::string>();
  json out{{"step", "device-queries"}, {"device", *history.device}};
  out["first_page_of_50_ms"] = mean_ms(20, [&] {
    auto q = history;
    q.page.limit = 50;
    (void)store->messages(q);
  });
  // Every page of 1,000 in turn, as an export would read them; the last one is the deepest.
  std::size_t rows = 0, pages = 0;
  double slowest_ms = 0;
  std::optional<json> oldest_key, newest_key;
  auto q = history;
  q.page.limit = 1000;
  const auto all_started = std::chrono::steady_clock::now();
  do {
    const auto page_started = std::chrono::steady_clock::now();
    auto page = store->messages(q);
    slowest_ms = std::max(slowest_ms, seconds_since(page_started) * 1000.0);
    for (const auto& row : page.rows) {
      if (row.at("seq").is_null()) continue;
      if (!newest_key) newest_key = row;
      oldest_key = row;
    }
    rows += page.rows.size();
    ++pages;
    q.page.after = page.next;
  } while (!q.page.after.empty());
  out["messages"] = rows;
  out["all_pages_of_1000_seconds"] = seconds_since(all_started);
  out["slowest_page_of_1000_ms"] = slowest_ms;
  out["pages"] = pages;
  const auto lookup_ms = [&](const json& row) {
    const auto boot = row.at("boot").get<std::uint32_t>();
    const auto seq = row.at("seq").get<std::uint64_t>();
    return mean_ms(100, [&] {
      if (!store->stored_payload(*history.device, boot, seq)) throw std::runtime_error("a stored key was not found");
    });
  };
  if (newest_key) {
    out["duplicate_of_newest_ms"] = lookup_ms(*newest_key);
    out["duplicate_of_oldest_ms"] = lookup_ms(*oldest_key);
  }
  std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"restart_bench: the daemon's restart time with a large journal, from a snapshot and without"};
  cli.require_subcommand(1);
  std::string db;
  std::int64_t messages = 10'000'000;
  bool then_snapshot = false;
  auto* fill_cmd = cli.add_subcommand("fill", "fill (or continue filling) the journal up to --messages");
  fill_cmd->add_option("db", db, "store file")->required();
  fill_cmd->add_option("--messages", messages, "device messages the journal should hold");
  auto* restore_cmd = cli.add_subcommand("restore", "time Fleet::restore()");
  restore_cmd->add_option("db", db, "store file")->required();
  restore_cmd->add_flag("--snapshot", then_snapshot, "then write the snapshot a clean stop writes, timed");
  auto* forget_cmd = cli.add_subcommand("forget-snapshots", "delete the stored snapshots");
  forget_cmd->add_option("db", db, "store file")->required();
  auto* queries_cmd = cli.add_subcommand("device-queries", "time the queries that read one device's history");
  queries_cmd->add_option("db", db, "store file")->required();
  CLI11_PARSE(cli, argc, argv);
  if (fill_cmd->parsed()) return fill(db, messages);
  if (queries_cmd->parsed()) return device_queries(db);
  if (restore_cmd->parsed()) return restore(db, then_snapshot);
  return forget_snapshots(db);
}
