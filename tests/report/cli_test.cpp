// `sterifleet report` and `sterifleet report verify` as an auditor runs them on the daemon's host:
// the report file, its audit record (actor "cli"), the verdicts, the exit codes and the messages.
#include <gtest/gtest.h>

#include <fstream>

#include "clinic_day.hpp"
#include "sterifleet/checkpoint/checkpoint.hpp"
#include "sterifleet/crypto/ed25519.hpp"

namespace sterifleet::report::testing {
namespace {

using sterifleet::testing::Completed;
using sterifleet::testing::read_file;
using sterifleet::testing::run_to_completion;

class ReportCli : public ::testing::Test {
 protected:
  ClinicDay day;

  Completed sterifleet(std::vector<std::string> args) {
    args.insert(args.begin(), STERIFLEET_CLI);
    return run_to_completion(std::move(args));
  }
  Completed report(const std::string& format, const std::string& out, std::vector<std::string> more = {}) {
    std::vector<std::string> args{"report",     "--db", day.db_path(),          "--clinic", "north", "--from",
                                  "2026-11-02", "--to", "2026-11-04T00:00:00Z", "--format", format};
    if (!out.empty()) args.insert(args.end(), {"--out", out});
    args.insert(args.end(), more.begin(), more.end());
    return sterifleet(std::move(args));
  }
};

TEST_F(ReportCli, WritesTheReportRecordsItAndVerifyProvesIt) {
  const auto file = (day.dir() / "north.csv").string();
  const auto made = report("csv", file);
  ASSERT_EQ(made.status, 0) << made.output;
  EXPECT_NE(made.output.find("report written to " + file), std::string::npos) << made.output;
  EXPECT_NE(made.output.find("5 sessions, 4 cycles"), std::string::npos) << made.output;
  EXPECT_FALSE(std::filesystem::exists(file + ".part"));
  const auto text = read_file(file);
  ASSERT_TRUE(text.starts_with("report,title,")) << text.substr(0, 200);
  EXPECT_EQ(rows(parse_csv(text), "session").size(), 5u);

  const auto head = day.store().audit_head();
  const auto record = day.store().audit_records(head.seq - 1, 1).rows.at(0);
  EXPECT_EQ(record["actor"], "cli");
  EXPECT_EQ(record["entity"], "report:" + sha256_of(std::string_view(text).substr(0, record["after"]["body_bytes"])));
  EXPECT_EQ(record["cause"].get<std::string>().substr(0, 18), "sterifleet report ");

  const auto audit = sterifleet({"audit", "verify", "--db", day.db_path()});
  EXPECT_EQ(audit.status, 0) << audit.output;
  EXPECT_NE(audit.output.find(": intact"), std::string::npos);
  const auto verified = sterifleet({"report", "verify", "--db", day.db_path(), file});
  EXPECT_EQ(verified.status, 0) << verified.output;
  EXPECT_NE(verified.output.find(file + ": genuine"), std::string::npos) << verified.output;
  EXPECT_NE(verified.output.find("made "), std::string::npos);
  EXPECT_NE(verified.output.find(" by cli, audit record " + std::to_string(head.seq)), std::string::npos)
      << verified.output;
}

TEST_F(ReportCli, SigningKey_TheReportCarriesACheckpointThatVerifyChecksAgainstThePinnedKey) {
  const auto key = day.dir() / "audit.key";
  const auto made_key = crypto::load_or_create_key_file(key);
  ASSERT_TRUE(made_key.created);
  const auto public_key = key.string() + ".pub";
  const auto file = (day.dir() / "north.pdf").string();
  const auto made = report("pdf", file, {"--signing-key", key.string()});
  ASSERT_EQ(made.status, 0) << made.output;
  EXPECT_NE(
      made.output.find("signed checkpoint of that head by key " + checkpoint::key_text(made_key.key.public_key())),
      std::string::npos)
      << made.output;

  const auto pinned = sterifleet({"report", "verify", "--db", day.db_path(), "--public-key", public_key, file});
  EXPECT_EQ(pinned.status, 0) << pinned.output;
  EXPECT_NE(pinned.output.find("the head is signed: checkpoint of record"), std::string::npos) << pinned.output;
  EXPECT_NE(pinned.output.find("(the pinned key)"), std::string::npos) << pinned.output;

  const auto other = day.dir() / "other.key";
  crypto::load_or_create_key_file(other);
  const auto refused =
      sterifleet({"report", "verify", "--db", day.db_path(), "--public-key", other.string() + ".pub", file});
  EXPECT_EQ(refused.status, 1) << refused.output;
  EXPECT_NE(refused.output.find("the report's checkpoint is refused: signed by key"), std::string::npos)
      << refused.output;

  const auto no_key = report("json", (day.dir() / "x.json").string(), {"--signing-key", (day.dir() / "none").string()});
  EXPECT_EQ(no_key.status, 2) << no_key.output;
  EXPECT_NE(no_key.output.find("--signing-key: no key at"), std::string::npos) << no_key.output;
}

TEST_F(ReportCli, EveryFormatIsProvedGenuine) {
  for (const auto* format : {"json", "pdf"}) {
    const auto file = (day.dir() / (std::string("north.") + format)).string();
    const auto made = report(format, file);
    ASSERT_EQ(made.status, 0) << made.output;
    const auto verified = sterifleet({"report", "verify", "--db", day.db_path(), file});
    EXPECT_EQ(verified.status, 0) << format << ": " << verified.output;
  }
}

TEST_F(ReportCli, WritesToStandardOutputWithoutOut) {
  const auto made = report("json", "");
  ASSERT_EQ(made.status, 0) << made.output;
  EXPECT_TRUE(made.output.starts_with("{\"report\":")) << made.output.substr(0, 200);
  EXPECT_NE(made.output.find("report written to standard output"), std::string::npos);
}

TEST_F(ReportCli, AlteredReportIsNotGenuine) {
  const auto file = (day.dir() / "north.csv").string();
  ASSERT_EQ(report("csv", file).status, 0);
  auto text = read_file(file);
  const auto at = text.find("pt-S2");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 5, "pt-XX");
  std::ofstream(file, std::ios::binary) << text;
  const auto verified = sterifleet({"report", "verify", "--db", day.db_path(), file});
  EXPECT_EQ(verified.status, 1) << verified.output;
  EXPECT_NE(verified.output.find(file + ": NOT GENUINE"), std::string::npos) << verified.output;
  EXPECT_NE(verified.output.find("the report has been altered"), std::string::npos) << verified.output;
}

TEST_F(ReportCli, BadOptionsSayWhichAndChangeNothing) {
  const auto before = day.store().audit_head().seq;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--format", "xml"}, "--format: must be one of csv, json, pdf"},
      {{"--from", "yesterday"},
       "--from: expected an RFC 3339 UTC timestamp like 2026-11-01T00:00:00Z, or a date like 2026-11-01"},
      {{"--to", "2026-11-01"}, "--to: must be later than --from"},
      {{"--clinic", "no spaces"}, "--clinic: must be 1 to 64 letters, digits, '_', '.' or '-'"},
      {{"--db", (day.dir() / "missing.db").string()}, "--db: no store at"},
  };
  for (const auto& [options, message] : cases) {
    std::vector<std::string> args{"report", "--db",       day.db_path(), "--from", "2026-11-02",
                                  "--to",   "2026-11-04", "--format",    "csv"};
    for (std::size_t i = 0; i < options.size(); i += 2) {
      const auto found = std::find(args.begin(), args.end(), options[i]);
      if (found != args.end()) {
        *(found + 1) = options[i + 1];
      } else {
        args.insert(args.end(), {options[i], options[i + 1]});
      }
    }
    const auto done = sterifleet(args);
    EXPECT_EQ(done.status, 2) << message << ": " << done.output;
    EXPECT_NE(done.output.find(message), std::string::npos) << done.output;
  }
  const auto missing = sterifleet({"report", "--db", day.db_path(), "--from", "2026-11-02"});
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.output.find("--from and --to are required"), std::string::npos) << missing.output;
  EXPECT_EQ(day.store().audit_head().seq, before);
}

}  // namespace
}  // namespace sterifleet::report::testing
