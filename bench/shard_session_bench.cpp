// What acknowledging after the commit costs (issue 17's shard sessions): the rate at which the ingest
// drains a backlog of QoS 1 messages into SQLite, acknowledging each, in three ways in one run on one
// broker: today's single daemon (receipt log, grouped commits); one shard session holding every clinic
// (a commit a message, acknowledged after it); `sessions` shard sessions of one clinic each, in one
// process on one Fleet. Each round publishes one backlog that every persistent session gets queued,
// then lets each way drain its copy into a fresh store alone; the figure is the median of the rounds.
//
//   shard_session_bench <directory> [messages (20000)] [sessions (4)] [rounds (3)]
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
// GCC 12 at -O2 reports null dereferences inside Asio's executors (false positives in third-party code).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "sterifleet/cluster/shard_map.hpp"
#include "sterifleet/engine/policy.hpp"
#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/ingest/mqtt_ingest.hpp"
#include "sterifleet/protocol/time.hpp"
#include "sterifleet/protocol/topic.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace {

using namespace sterifleet;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct NoCommands final : fleet::CommandSink {
  void publish(const std::string&, const std::string&) override {}
};

std::string clinic_name(int i) { return std::string("c").append(std::to_string(i)); }

/// The clinics' shards: clinic i pinned to shard i + 1; shard 0 is the session that holds them all.
cluster::ShardMap make_map(int sessions) {
  std::map<protocol::ClinicId, cluster::Shard> pins;
  for (int i = 0; i < sessions; ++i) pins.emplace(protocol::ClinicId(clinic_name(i)), i + 1);
  return cluster::ShardMap(cluster::default_shards, pins);
}

void run(const std::vector<std::string>& argv) {
  const auto done = testing::run_to_completion(argv, std::chrono::minutes(5));
  if (done.status != 0) throw std::runtime_error(argv[0] + " failed: " + done.output);
}

void create_session(const testing::Mosquitto& broker, const std::string& client_id,
                    const std::vector<std::string>& filters) {
  std::vector<std::string> argv{
      "mosquitto_sub", "-h", broker.host(), "-p", std::to_string(broker.port()), "-q", "1", "-c", "-E", "-i",
      client_id};
  for (const auto& f : filters) argv.insert(argv.end(), {"-t", f});
  run(argv);
}

/// `messages` telemetry messages spread over one pen per clinic (each way drains into a fresh store).
void publish_backlog(const testing::Mosquitto& broker, const fs::path& dir, int clinics, int messages) {
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  for (int c = 0; c < clinics; ++c) {
    const auto device = "PEN-" + std::to_string(c);
    const auto file = dir / ("backlog-" + std::to_string(c));
    {
      std::ofstream out(file);
      for (int i = c; i < messages; i += clinics) {
        out << nlohmann::json{{"v", 1},
                              {"device", device},
                              {"boot", 1},
                              {"seq", 1 + i / clinics},
                              {"ts", protocol::format_timestamp(now)},
                              {"type", "telemetry"},
                              {"body",
                               {{"battery_pct", 80},
                                {"runtime_s", 1000},
                                {"strokes", 50000},
                                {"depth_mm", 0.5},
                                {"speed", 100}}}}
                   .dump()
            << "\n";
      }
    }
    run({"sh", "-c",
         "mosquitto_pub -h " + broker.host() + " -p " + std::to_string(broker.port()) + " -q 1 -t sterifleet/v1/" +
             clinic_name(c) + "/" + device + "/telemetry -l < " + file.string()});
  }
}

double stored(fleet::Metrics& metrics) {
  double sum = 0;
  for (const auto& family : metrics.registry().Collect()) {
    if (family.name != "sterifleet_messages_stored_total") continue;
    for (const auto& m : family.metric) sum += m.counter.value;
  }
  return sum;
}

struct Way {
  std::string name;
  std::string client_id;                           ///< receipt log: the single daemon's session
  std::vector<std::vector<std::string>> sessions;  ///< shard sessions: each one's filters
};

/// Drains the way's backlog into a fresh store; returns messages a second.
double drain(const Way& way, const testing::Mosquitto& broker, const fs::path& dir, int messages) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto store = store::open_sqlite((dir / "store.db").string());
  NoCommands commands;
  fleet::EventBus events;
  fleet::Metrics metrics;
  fleet::Fleet fleet(engine::default_policy(), *store, commands, events, metrics, [] {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  });
  fleet.restore();
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread ingest_thread([&] { io.run(); });
  const auto fatal = [](const std::string& why) {
    std::cerr << why << "\n";
    std::_Exit(2);
  };
  std::vector<std::unique_ptr<ingest::MqttIngest>> ingests;
  const auto started = Clock::now();
  if (way.sessions.empty()) {
    ingests.push_back(std::make_unique<ingest::MqttIngest>(
        ingest::MqttOptions{.url = broker.url(), .client_id = way.client_id},
        ingest::ReceiptOptions{.folder = dir / "receipts"}, fleet, metrics, io.get_executor(), fatal));
  } else {
    for (std::size_t k = 0; k < way.sessions.size(); ++k) {
      const auto id = way.client_id + std::to_string(k);
      ingests.push_back(std::make_unique<ingest::MqttIngest>(ingest::MqttOptions{.url = broker.url(), .client_id = id},
                                                             ingest::AfterCommitOptions{way.sessions[k]}, fleet,
                                                             metrics, io.get_executor(), fatal));
    }
  }
  for (auto& i : ingests) i->start();
  while (stored(metrics) < messages) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  for (auto& i : ingests) i->stop();
  ingests.clear();
  work.reset();
  ingest_thread.join();
  return messages / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: shard_session_bench <directory> [messages (20000)] [sessions (4)] [rounds (3)]\n";
    return 1;
  }
  const fs::path dir = argv[1];
  const int messages = argc > 2 ? std::stoi(argv[2]) : 20000;
  const int sessions = argc > 3 ? std::stoi(argv[3]) : 4;
  const int rounds = argc > 4 ? std::stoi(argv[4]) : 3;
  spdlog::set_level(spdlog::level::warn);
  fs::create_directories(dir);

  const auto map = make_map(sessions);
  std::vector<protocol::ClinicId> clinics;
  for (int i = 0; i < sessions; ++i) clinics.emplace_back(clinic_name(i));
  std::vector<std::string> every_filter;
  Way per_clinic{std::to_string(sessions) + " shard sessions", "per-clinic-shard-", {}};
  for (int i = 0; i < sessions; ++i) {
    auto filters = map.topic_filters(i + 1, clinics);
    every_filter.insert(every_filter.end(), filters.begin(), filters.end());
    per_clinic.sessions.push_back(std::move(filters));
  }
  const std::vector<Way> ways{
      {"receipt log (today)", "sterifleetd", {}},
      {"1 shard session", "one-shard-", {every_filter}},
      per_clinic,
  };

  testing::Mosquitto broker;
  std::vector<std::vector<double>> rates(ways.size());
  for (int round = 0; round < rounds; ++round) {
    // Every way's sessions exist before the backlog is published, so each gets its own copy.
    for (const auto& way : ways) {
      if (way.sessions.empty()) {
        std::vector<std::string> all;
        for (const auto channel : protocol::device_channels) all.push_back(protocol::channel_filter(channel));
        create_session(broker, way.client_id, all);
      } else {
        for (std::size_t k = 0; k < way.sessions.size(); ++k)
          create_session(broker, way.client_id + std::to_string(k), way.sessions[k]);
      }
    }
    publish_backlog(broker, dir, sessions, messages);
    for (std::size_t w = 0; w < ways.size(); ++w) {
      rates[w].push_back(drain(ways[w], broker, dir / "store", messages));
      std::printf("round %d  %-24s %8.0f msg/s\n", round + 1, ways[w].name.c_str(), rates[w].back());
      std::fflush(stdout);
    }
  }
  std::printf("\nmedian of %d rounds, %d messages each, acknowledged and stored in SQLite:\n", rounds, messages);
  for (std::size_t w = 0; w < ways.size(); ++w) {
    auto r = rates[w];
    std::sort(r.begin(), r.end());
    std::printf("  %-24s %8.0f msg/s\n", ways[w].name.c_str(), r[r.size() / 2]);
  }
  return 0;
}
