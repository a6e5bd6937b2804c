// `sterifleet export` on a real store: every journal entry in journal order as the lines replay reads,
// narrowed by clinic and receive time; bad options named.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "export_command.hpp"
#include "sterifleet/store/store.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::app {
namespace {

using nlohmann::json;

const auto kStart = *protocol::parse_timestamp("2026-11-02T08:00:00Z");

store::StoredMessage message(const std::string& clinic, std::uint64_t seq, std::chrono::minutes at) {
  const std::string payload = R"({"v":1,"device":"PEN-1","boot":1,"seq":)" + std::to_string(seq) + "}";
  return {kStart + at, "sterifleet/v1/" + clinic + "/PEN-1/telemetry", payload, clinic, "PEN-1", 1, seq, kStart + at,
          "telemetry"};
}

class Export : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::open_sqlite(db_.string());
    store::Commit north;
    north.messages.push_back(message("north", 1, std::chrono::minutes(1)));
    store->commit(north);
    store::Commit rejected;
    rejected.quarantined.push_back(
        {0, kStart + std::chrono::minutes(2), "sterifleet/v1/north/PEN-1/event", "\xff\xfe", "malformed_json", "x"});
    store->commit(rejected);
    store::Commit south;
    south.messages.push_back(message("south", 2, std::chrono::minutes(3)));
    store->commit(south);
    store::Commit tick;
    tick.actions.push_back({kStart + std::chrono::minutes(4), "engine", "tick", json::object()});
    store->commit(tick);
  }

  static ExportOptions options(std::optional<std::string> clinic = std::nullopt, std::string from = "",
                               std::string to = "", std::string format = "jsonl") {
    return {"", std::move(clinic), std::move(from), std::move(to), std::move(format)};
  }

  std::vector<json> run(ExportOptions options, int expected_status = 0) {
    options.db_path = db_.string();
    std::ostringstream out;
    std::ostringstream log;
    EXPECT_EQ(export_traffic(options, out, log), expected_status) << log.str();
    std::vector<json> lines;
    std::istringstream text(out.str());
    for (std::string line; std::getline(text, line);) lines.push_back(json::parse(line));
    return lines;
  }

  sterifleet::testing::TempDir dir_{"sterifleet-export"};
  std::filesystem::path db_ = dir_.path() / "sterifleet.db";
};

TEST_F(Export, WritesEveryEntryInJournalOrder) {
  const auto lines = run(options());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["topic"], "sterifleet/v1/north/PEN-1/telemetry");
  EXPECT_EQ(lines[0]["received_at"], "2026-11-02T08:01:00.000Z");
  EXPECT_EQ(json::parse(lines[0]["payload"].get<std::string>())["seq"], 1);
  EXPECT_EQ(lines[1]["quarantine_id"], 1);
  EXPECT_EQ(lines[1]["reason"], "malformed_json");
  EXPECT_EQ(lines[1]["payload_hex"], "fffe");  // not UTF-8: kept byte for byte
  EXPECT_EQ(lines[2]["topic"], "sterifleet/v1/south/PEN-1/telemetry");
  EXPECT_EQ(lines[3]["action"]["kind"], "tick");
  EXPECT_FALSE(lines[0].contains("judged_before_fail_safe"));
}

TEST_F(Export, NarrowsByClinicAndReceiveTime_KeepingTheClocksActions) {
  auto lines = run(options("south"));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["topic"], "sterifleet/v1/south/PEN-1/telemetry");
  EXPECT_TRUE(lines[1].contains("action"));
  lines = run(options(std::nullopt, "2026-11-02T08:02:00Z", "2026-11-02T08:03:00Z"));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["quarantine_id"], 1);
}

TEST_F(Export, BadOptionsAreNamed) {
  EXPECT_TRUE(run(options(std::nullopt, "", "", "csv"), 2).empty());
  EXPECT_TRUE(run(options("no spaces"), 2).empty());
  EXPECT_TRUE(run(options(std::nullopt, "yesterday"), 2).empty());
}

}  // namespace
}  // namespace sterifleet::app
