// Messages the broker was told were received, but that a killed daemon never stored, are in its receipt
// log: the next start stores them before it connects, exactly once, quarantining what is bad, and
// leaves only an empty segment behind. The log here is written as the daemon writes it, after a
// clean stop, so the store's position is known.
#include <gtest/gtest.h>

#include "sterifleet/ingest/receipt_log.hpp"
#include "sterifleet/protocol/time.hpp"
#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/mosquitto.hpp"
#include "sterifleet/testing/sqlite_file.hpp"

namespace sterifleet::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string pen_topic = "sterifleet/v1/C01/PEN-01/";

std::string telemetry(std::uint64_t seq) {
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return json{
      {"v", 1},
      {"device", "PEN-01"},
      {"boot", 1},
      {"seq", seq},
      {"ts", protocol::format_timestamp(now)},
      {"type", "telemetry"},
      {"body", {{"battery_pct", 80}, {"runtime_s", 1000}, {"strokes", 50000}, {"depth_mm", 0.5}, {"speed", 100}}}}
      .dump();
}

TEST(DaemonReceipts, WhatWasAcknowledgedButNotStoredIsStoredOnTheNextStart) {
  Mosquitto broker;
  Daemon daemon({STERIFLEETD_PATH, broker.url()});
  ASSERT_EQ(daemon.stop(), 0);
  const fs::path folder = daemon.db().string() + "-receipts";
  ASSERT_TRUE(fs::is_directory(folder)) << "the daemon keeps its receipt log next to the store by default";
  {
    ingest::ReceiptLog log(folder);
    log.replay(0, [](ingest::Receipt&&) { FAIL() << "a clean stop leaves nothing to re-run"; });
    log.reopen();
    const auto first = telemetry(1);
    log.append(pen_topic + "telemetry", first, false);
    log.append(pen_topic + "telemetry", "{not json", false);
    log.append(pen_topic + "telemetry", telemetry(2), false);
    log.append(pen_topic + "telemetry", first, false);  // a redelivery: stored once
  }

  daemon.start();
  EXPECT_EQ(sqlite_integer(daemon.db(), "SELECT count(*) FROM messages WHERE device = 'PEN-01'"), 2);
  EXPECT_EQ(sqlite_integer(daemon.db(), "SELECT count(*) FROM quarantine"), 1);
  EXPECT_EQ(sqlite_integer(daemon.db(), "SELECT count(*) FROM quarantine WHERE reason = 'malformed_json'"), 1);
  EXPECT_EQ(sqlite_integer(daemon.db(), "SELECT receipt FROM ingest_position"), 4);
  EXPECT_NE(daemon.log().find("stored 4 messages the last run had acknowledged but not stored"), std::string::npos)
      << daemon.log();
  ASSERT_EQ(daemon.stop(), 0);

  daemon.start();  // nothing twice
  EXPECT_EQ(sqlite_integer(daemon.db(), "SELECT count(*) FROM messages WHERE device = 'PEN-01'"), 2);
  EXPECT_EQ(sqlite_integer(daemon.db(), "SELECT count(*) FROM quarantine"), 1);
}

}  // namespace
}  // namespace sterifleet::testing
