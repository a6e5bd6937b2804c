// Every report is sealed: its SHA-256 covers its body (a CSV's or JSON's bytes before its footer, which
// states that hash and the audit-chain head; a PDF's every byte, its last page printing the head), and
// making it appends an audit record naming it, so verify_report proves a genuine report and names what
// is wrong with an altered one.
#include <gtest/gtest.h>

#include <fstream>

#include "clinic_day.hpp"
#include "sterifleet/crypto/base64.hpp"
#include "sterifleet/report/verify.hpp"

namespace sterifleet::report::testing {
namespace {

using nlohmann::json;

std::string write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

json last_audit_record(store::Store& store) {
  const auto head = store.audit_head();
  return store.audit_records(head.seq - 1, 1).rows.at(0);
}

TEST(ReportSeal, HashCoversTheBodyAndTheFooterStatesIt_Csv) {
  ClinicDay day;
  const auto [text, made] = day.make(Format::csv);
  ASSERT_LT(made.seal.body_bytes, text.size());
  EXPECT_EQ(made.bytes, text.size());
  EXPECT_EQ(sha256_of(std::string_view(text).substr(0, made.seal.body_bytes)), made.seal.sha256);
  const auto footer = text.substr(made.seal.body_bytes);
  EXPECT_TRUE(footer.starts_with("footer,sha256,body_bytes,audit_head_seq,audit_head_hash,scheme,checkpoint\r\n"))
      << footer;
  const auto records = parse_csv(footer);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1][1], made.seal.sha256);
  EXPECT_EQ(records[1][2], std::to_string(made.seal.body_bytes));
  EXPECT_EQ(records[1][3], std::to_string(made.seal.head.seq));
  EXPECT_EQ(records[1][4], made.seal.head.hash);
}

TEST(ReportSeal, HashCoversTheBodyAndTheFooterStatesIt_Json) {
  ClinicDay day;
  const auto [text, made] = day.make(Format::json);
  EXPECT_EQ(sha256_of(std::string_view(text).substr(0, made.seal.body_bytes)), made.seal.sha256);
  EXPECT_TRUE(text.substr(made.seal.body_bytes).starts_with(",\n\"integrity\":"));
  const auto integrity = json::parse(text)["integrity"];
  EXPECT_EQ(integrity["sha256"], made.seal.sha256);
  EXPECT_EQ(integrity["body_bytes"], made.seal.body_bytes);
  EXPECT_EQ(integrity["audit_head"], json({{"seq", made.seal.head.seq}, {"hash", made.seal.head.hash}}));
}

TEST(ReportSeal, HeadIsTheTrailsHeadBeforeTheReportsOwnRecord) {
  ClinicDay day;
  const auto before = day.store().audit_head();
  const auto made = day.make(Format::json).made;
  EXPECT_EQ(made.seal.head.seq, before.seq);
  EXPECT_EQ(made.seal.head.hash, before.hash);
  EXPECT_EQ(day.store().audit_head().seq, before.seq + 1) << "making the report appended one record";
}

TEST(ReportSeal, AuditRecordNamesTheReportAndTheTrailStaysIntact) {
  ClinicDay day;
  const auto made = day.make(Format::csv, "north", kDay, at(24)).made;
  const auto record = last_audit_record(day.store());
  EXPECT_EQ(record["entity"], "report:" + made.seal.sha256);
  EXPECT_EQ(record["action"], "compliance_report");
  EXPECT_EQ(record["actor"], "token:ann");
  EXPECT_EQ(record["cause"], "test");
  const auto& after = record["after"];
  EXPECT_EQ(after["clinic"], "north");
  EXPECT_EQ(after["from"], "2026-11-02T00:00:00.000Z");
  EXPECT_EQ(after["to"], "2026-11-03T00:00:00.000Z");
  EXPECT_EQ(after["format"], "csv");
  EXPECT_EQ(after["sha256"], made.seal.sha256);
  EXPECT_EQ(after["body_bytes"], made.seal.body_bytes);
  EXPECT_EQ(after["audit_head"], json({{"seq", made.seal.head.seq}, {"hash", made.seal.head.hash}}));
  EXPECT_EQ(after["rows"],
            json({{"sessions", 4}, {"cycles", 4}, {"violations", made.counts.violations}, {"recalls", 1}}));
  const auto trail = day.store().verify_audit();
  EXPECT_TRUE(trail.intact) << trail.problem;
}

class VerifyReport : public ::testing::TestWithParam<Format> {
 protected:
  ClinicDay day;
  std::string file(const std::string& text, const char* name = "report") {
    return write(day.dir() / (std::string(name) + "." + std::string(extension(GetParam()))), text);
  }
};

TEST_P(VerifyReport, GenuineReportIsProved) {
  const auto [text, made] = day.make(GetParam());
  const auto verdict = verify_report(day.store(), file(text));
  EXPECT_TRUE(verdict.genuine) << (verdict.problems.empty() ? "" : verdict.problems.front());
  EXPECT_EQ(verdict.format, GetParam());
  EXPECT_EQ(verdict.computed_sha256, made.seal.sha256);
  ASSERT_TRUE(verdict.record_seq);
  EXPECT_EQ(*verdict.record_seq, made.seal.head.seq + 1);
  EXPECT_EQ(verdict.record["actor"], "token:ann");
}

TEST_P(VerifyReport, AlteredBodyIsCaught) {
  auto [text, made] = day.make(GetParam());
  // A byte in the middle of the body: a session's row in CSV and JSON, a page's content in the PDF.
  const auto at = made.seal.body_bytes / 2;
  text[at] = static_cast<char>(text[at] ^ 0x01);
  const auto verdict = verify_report(day.store(), file(text));
  EXPECT_FALSE(verdict.genuine);
  ASSERT_FALSE(verdict.problems.empty());
  // A PDF states no hash of its own to contradict: its altered bytes name no record.
  const auto expected = GetParam() == Format::pdf ? "the audit trail has no record of making a report with this body"
                                                  : "the report has been altered: its body hashes to";
  EXPECT_NE(verdict.problems.front().find(expected), std::string::npos) << verdict.problems.front();
}

class VerifyFooter : public VerifyReport {};

TEST_P(VerifyFooter, ReportThatWasNeverMadeIsCaught) {
  auto [text, made] = day.make(GetParam());
  // A forger who also restates the hash: the trail knows no report with that body.
  const auto at = made.seal.body_bytes / 2;
  text[at] = static_cast<char>(text[at] ^ 0x01);
  const auto forged_sha = sha256_of(std::string_view(text).substr(0, made.seal.body_bytes));
  const auto stated = text.rfind(made.seal.sha256);
  ASSERT_NE(stated, std::string::npos);
  text.replace(stated, forged_sha.size(), forged_sha);
  const auto verdict = verify_report(day.store(), file(text));
  EXPECT_FALSE(verdict.genuine);
  ASSERT_EQ(verdict.problems.size(), 1u);
  EXPECT_EQ(verdict.problems.front(),
            "the audit trail has no record of making a report with this body (entity report:" + forged_sha + ")");
}

TEST_P(VerifyFooter, AlteredHeadIsCaught) {
  auto [text, made] = day.make(GetParam());
  const auto stated = text.rfind(made.seal.head.hash);
  ASSERT_NE(stated, std::string::npos);
  text.replace(stated, 64, std::string(64, 'a'));
  const auto verdict = verify_report(day.store(), file(text));
  EXPECT_FALSE(verdict.genuine);
  ASSERT_FALSE(verdict.problems.empty());
  EXPECT_NE(verdict.problems.front().find("the footer's audit head is not the one recorded"), std::string::npos)
      << verdict.problems.front();
}

INSTANTIATE_TEST_SUITE_P(CsvAndJson, VerifyFooter, ::testing::Values(Format::csv, Format::json),
                         [](const auto& format) { return std::string(to_string(format.param)); });

// Reports the daemon makes carry its signed checkpoint of the head they state.
class SignedReport : public VerifyReport {
 protected:
  SignedReport() { day.signing_key = crypto::SigningKey::generate(); }
};

TEST_P(SignedReport, CarriesTheCheckpointOfItsHead_AndVerifyChecksIt) {
  const auto [text, made] = day.make(GetParam());
  ASSERT_TRUE(made.seal.checkpoint);
  EXPECT_EQ(made.seal.checkpoint->seq, made.seal.head.seq);
  EXPECT_EQ(made.seal.checkpoint->head, made.seal.head.hash);
  EXPECT_EQ(last_audit_record(day.store())["after"]["checkpoint"], checkpoint::to_json(*made.seal.checkpoint));
  if (GetParam() != Format::pdf) {
    EXPECT_NE(text.find(crypto::to_base64(made.seal.checkpoint->signature)), std::string::npos) << "in the footer";
  }
  const auto verdict = verify_report(day.store(), file(text), day.signing_key->public_key());
  EXPECT_TRUE(verdict.genuine) << (verdict.problems.empty() ? "" : verdict.problems.front());
  ASSERT_TRUE(verdict.checkpoint);
  EXPECT_EQ(verdict.checkpoint->signature, made.seal.checkpoint->signature);
  EXPECT_TRUE(verdict.notes.empty());
}

TEST_P(SignedReport, CheckpointOfAnotherKeyIsRefusedWhenAKeyIsPinned) {
  const auto text = day.make(GetParam()).text;
  const auto verdict = verify_report(day.store(), file(text), crypto::SigningKey::generate().public_key());
  EXPECT_FALSE(verdict.genuine);
  ASSERT_EQ(verdict.problems.size(), 1u);
  EXPECT_NE(verdict.problems.front().find("the report's checkpoint is refused: signed by key"), std::string::npos)
      << verdict.problems.front();
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, SignedReport, ::testing::Values(Format::csv, Format::json, Format::pdf),
                         [](const auto& format) { return std::string(to_string(format.param)); });

class SignedFooter : public SignedReport {};

TEST_P(SignedFooter, CheckpointWithABadSignatureIsCaught) {
  auto [text, made] = day.make(GetParam());
  const auto signature = crypto::to_base64(made.seal.checkpoint->signature);
  const auto stated = text.rfind(signature);
  ASSERT_NE(stated, std::string::npos);
  text[stated] = text[stated] == 'A' ? 'B' : 'A';
  const auto verdict = verify_report(day.store(), file(text));
  EXPECT_FALSE(verdict.genuine);
  ASSERT_EQ(verdict.problems.size(), 1u);
  EXPECT_NE(verdict.problems.front().find("the report's checkpoint is refused: its signature is not key"),
            std::string::npos)
      << verdict.problems.front();
}

INSTANTIATE_TEST_SUITE_P(CsvAndJson, SignedFooter, ::testing::Values(Format::csv, Format::json),
                         [](const auto& format) { return std::string(to_string(format.param)); });

TEST(ReportSeal, UnsignedReportIsGenuineWithANote) {
  ClinicDay day;
  const auto text = day.make(Format::json).text;
  const auto verdict = verify_report(day.store(), write(day.dir() / "report.json", text));
  EXPECT_TRUE(verdict.genuine);
  EXPECT_FALSE(verdict.checkpoint);
  ASSERT_EQ(verdict.notes.size(), 1u);
  EXPECT_NE(verdict.notes.front().find("carries no signed checkpoint"), std::string::npos);
}

TEST(ReportSeal, APdfIsAllBodyAndItsRecordStatesTheHead) {
  ClinicDay day;
  const auto [text, made] = day.make(Format::pdf);
  EXPECT_EQ(made.seal.body_bytes, text.size());
  EXPECT_EQ(made.bytes, text.size());
  EXPECT_EQ(sha256_of(text), made.seal.sha256);
  const auto path = write(day.dir() / "report.pdf", text);
  const auto verdict = verify_report(day.store(), path);
  ASSERT_TRUE(verdict.genuine) << verdict.problems.front();
  ASSERT_TRUE(verdict.stated);
  EXPECT_EQ(verdict.stated->head.seq, made.seal.head.seq);
  EXPECT_EQ(verdict.stated->head.hash, made.seal.head.hash);
  EXPECT_EQ(verdict.stated->body_bytes, text.size());
}

TEST(ReportSeal, APdfWithABytePutAfterItsEndIsNotGenuine) {
  ClinicDay day;
  const auto text = day.make(Format::pdf).text;
  const auto verdict = verify_report(day.store(), write(day.dir() / "report.pdf", text + "\n"));
  EXPECT_FALSE(verdict.genuine);
  ASSERT_EQ(verdict.problems.size(), 1u);
  EXPECT_EQ(
      verdict.problems.front(),
      "the audit trail has no record of making a report with this body (entity report:" + sha256_of(text + "\n") + ")");
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, VerifyReport, ::testing::Values(Format::csv, Format::json, Format::pdf),
                         [](const auto& format) { return std::string(to_string(format.param)); });

TEST(ReportSeal, TooLargeAPdfIsRefusedAndNothingIsRecorded) {
  ClinicDay day;
  const auto before = day.store().audit_head();
  try {
    day.make(Format::pdf, "north", kDay, kDay + std::chrono::days(2), 3);
    FAIL() << "a PDF over its row limit was made";
  } catch (const ReportTooLarge& e) {
    EXPECT_EQ(std::string(e.what()),
              "a PDF report holds at most 3 table rows and this one has more; ask for csv or json, a shorter period "
              "or one clinic");
  }
  EXPECT_EQ(day.store().audit_head().seq, before.seq);
}

TEST(ReportSeal, SomethingElseIsNotAReport) {
  ClinicDay day;
  const auto verdict = verify_report(day.store(), write(day.dir() / "notes.txt", "just some notes\n"));
  EXPECT_FALSE(verdict.genuine);
  EXPECT_FALSE(verdict.format);
  ASSERT_EQ(verdict.problems.size(), 1u);
  EXPECT_EQ(verdict.problems.front(),
            "not a sterifleet report: it starts with neither report, nor {\"report\": nor %PDF-");
}

}  // namespace
}  // namespace sterifleet::report::testing
