// GET /api/v1/reports/compliance over the real server: each format with its Content-Type, the seal
// (its hash over the body, the headers, the audit record naming the token), the roles, and the precise
// 400 for each bad parameter; POST /api/v1/reports/verify of what it served, changed or not.
#include <fstream>

#include "harness.hpp"
#include "sterifleet/checkpoint/checkpoint.hpp"
#include "sterifleet/crypto/sha256.hpp"
#include "sterifleet/report/verify.hpp"

namespace sterifleet::http::testing {
namespace {

using nlohmann::json;

const std::string kDayReport =
    "/api/v1/reports/compliance?clinic=north&from=2026-11-24T00:00:00Z&to=2026-11-25T00:00:00Z";

class Reports : public ::testing::Test {
 protected:
  Harness harness;

  // CSV and PDF are not JSON: read them past the harness's schema check, on a connection of their own.
  ClientResponse raw(const std::string& target, Role role) {
    Client client(harness.port());
    return client.get(target, harness.token(role));
  }
  std::string bad(const std::string& target) {
    const auto response = harness.get(target, Role::auditor);
    EXPECT_EQ(response.result_int(), 400) << target << ": " << response.body();
    EXPECT_EQ(error_code(response), "bad_request") << target;
    return error_message(response);
  }
  json last_audit_record() {
    const auto verification = json_of(harness.get("/api/v1/audit/verify", Role::auditor));
    EXPECT_TRUE(verification["intact"].get<bool>()) << verification.dump();
    const auto seq = verification["head"]["seq"].get<std::int64_t>();
    return json_of(harness.get("/api/v1/audit?after=" + std::to_string(seq - 1), Role::auditor))["items"][0];
  }
  std::string body_hash(const std::string& text, std::uint64_t body_bytes) {
    return crypto::sha256_hex(std::string_view(text).substr(0, body_bytes));
  }
};

TEST_F(Reports, Json_ForAnAuditor_ListsTheDayAndIsSealed) {
  const auto response = harness.get(kDayReport, Role::auditor);  // checked against the ComplianceReport schema
  ASSERT_EQ(response.result_int(), 200) << response.body();
  EXPECT_EQ(response[bhttp::field::content_type], "application/json");
  EXPECT_EQ(response[bhttp::field::cache_control], "no-store");
  const auto report = json_of(response);
  EXPECT_EQ(report["report"]["generated_by"], "token:ann");
  EXPECT_EQ(report["sessions"].size(), 3u);
  EXPECT_EQ(report["cycles"].size(), 1u);
  ASSERT_EQ(report["recalls"].size(), 1u);
  EXPECT_EQ(report["recalls"][0]["cycle"], "STER-1/CYC-1");
  const auto& seal = report["integrity"];
  EXPECT_EQ(body_hash(response.body(), seal["body_bytes"]), seal["sha256"]);
  EXPECT_EQ(response["X-Report-SHA256"], seal["sha256"].get<std::string>());
  EXPECT_EQ(response["X-Report-Audit-Head"], std::to_string(seal["audit_head"]["seq"].get<std::int64_t>()) + " " +
                                                 seal["audit_head"]["hash"].get<std::string>());

  const auto record = last_audit_record();
  EXPECT_EQ(record["entity"], "report:" + seal["sha256"].get<std::string>());
  EXPECT_EQ(record["action"], "compliance_report");
  EXPECT_EQ(record["actor"], "token:ann");
  EXPECT_EQ(record["cause"], "GET " + kDayReport);
  EXPECT_EQ(record["after"]["audit_head"], seal["audit_head"]);
  EXPECT_EQ(record["after"]["format"], "json");
  EXPECT_EQ(record["seq"], seal["audit_head"]["seq"].get<std::int64_t>() + 1);
}

TEST_F(Reports, Csv_IsServedAsAnAttachmentAndSealed) {
  const auto response = raw(kDayReport + "&format=csv", Role::admin);
  ASSERT_EQ(response.result_int(), 200) << response.body();
  EXPECT_EQ(response[bhttp::field::content_type], "text/csv; charset=utf-8; header=present");
  EXPECT_EQ(response[bhttp::field::content_disposition],
            "attachment; filename=\"compliance-north-2026-11-24-2026-11-25.csv\"");
  const auto& text = response.body();
  EXPECT_TRUE(text.starts_with("report,title,clinic,from,to,generated_at,generated_by,layout\r\n")) << text;
  EXPECT_NE(text.find("\r\nsession,2026-11-24T09:00:00.000Z,2026-11-24T09:20:00.000Z,north,PEN-1,S1,C1,"),
            std::string::npos)
      << text;
  const auto footer = text.rfind("footer,sha256,");
  ASSERT_NE(footer, std::string::npos);
  EXPECT_EQ(body_hash(text, footer), response["X-Report-SHA256"]);
  const auto record = last_audit_record();
  EXPECT_EQ(record["actor"], "token:ada");
  EXPECT_EQ(record["after"]["format"], "csv");
}

TEST_F(Reports, Pdf_IsServedAsAnAttachmentAndProvedGenuine) {
  const auto response = raw(kDayReport + "&format=pdf", Role::auditor);
  ASSERT_EQ(response.result_int(), 200) << response.body().substr(0, 300);
  EXPECT_EQ(response[bhttp::field::content_type], "application/pdf");
  EXPECT_EQ(response[bhttp::field::content_disposition],
            "attachment; filename=\"compliance-north-2026-11-24-2026-11-25.pdf\"");
  EXPECT_TRUE(response.body().starts_with("%PDF-"));
  const auto file = harness.dir() / "report.pdf";
  std::ofstream(file, std::ios::binary) << response.body();
  const auto verdict = report::verify_report(harness.store(), file.string());
  EXPECT_TRUE(verdict.genuine) << (verdict.problems.empty() ? "" : verdict.problems.front());
  EXPECT_EQ(verdict.computed_sha256, response["X-Report-SHA256"]);
}

TEST(SignedReports, CarryTheDaemonsCheckpointOfTheirHead_InTheFooterAndAHeader) {
  const auto key = crypto::SigningKey::generate();
  store::Store* signed_store = nullptr;
  Harness harness(tweaked(true, [&](HttpOptions& options) {
    options.sign_checkpoint = [&](const store::AuditHead& head) {
      return checkpoint::sign(key, *signed_store, head, *protocol::parse_timestamp("2026-11-25T08:00:00Z"));
    };
  }));
  signed_store = &harness.store();
  const auto response = harness.get(kDayReport, Role::auditor);  // the schema allows the checkpoint
  ASSERT_EQ(response.result_int(), 200) << response.body();
  const auto seal = json_of(response)["integrity"];
  const auto stated = checkpoint::from_json(seal["checkpoint"]);
  ASSERT_TRUE(stated.checkpoint) << stated.problem;
  EXPECT_EQ(stated.checkpoint->seq, seal["audit_head"]["seq"].get<std::int64_t>());
  EXPECT_EQ(stated.checkpoint->head, seal["audit_head"]["hash"].get<std::string>());
  EXPECT_FALSE(checkpoint::signature_problem(*stated.checkpoint, key.public_key()));
  EXPECT_EQ(response["X-Report-Checkpoint"], checkpoint::to_line(*stated.checkpoint));
}

// The dashboard's drop zone: the file as downloaded goes back to the daemon, which says whether it is
// one it made, unchanged.
class VerifiedReports : public Reports {
 protected:
  json verify(const std::string& bytes, const std::string& token) {
    const auto response = harness.call(bhttp::verb::post, "/api/v1/reports/verify", token, bytes);
    EXPECT_EQ(response.result_int(), 200) << response.body();
    return json_of(response);
  }
};

TEST_F(VerifiedReports, EachFormatAsDownloaded_IsGenuine_AndNamesTheRecordOfItsMaking) {
  for (const std::string format : {"csv", "json", "pdf"}) {
    SCOPED_TRACE(format);
    const auto made = raw(kDayReport + "&format=" + format, Role::auditor);
    ASSERT_EQ(made.result_int(), 200);
    const auto verdict = verify(made.body(), harness.token(Role::admin));
    EXPECT_TRUE(verdict["genuine"].get<bool>()) << verdict.dump(2);
    EXPECT_EQ(verdict["format"], format);
    EXPECT_EQ(verdict["sha256"], std::string(made["X-Report-SHA256"]));
    EXPECT_EQ(verdict["record"]["entity"], "report:" + std::string(made["X-Report-SHA256"]));
    EXPECT_EQ(verdict["record"]["actor"], "token:ann");
    EXPECT_EQ(std::to_string(verdict["stated"]["audit_head"]["seq"].get<std::int64_t>()) + " " +
                  verdict["stated"]["audit_head"]["hash"].get<std::string>(),
              std::string(made["X-Report-Audit-Head"]));
    EXPECT_TRUE(verdict["problems"].empty());
  }
}

TEST_F(VerifiedReports, AChangedByte_OrAFileItDidNotMake_IsNotGenuine_AndSaysWhy) {
  auto csv = raw(kDayReport + "&format=csv", Role::auditor).body();
  const auto at = csv.find("PEN-1");
  ASSERT_NE(at, std::string::npos);
  csv[at + 4] = '2';
  const auto changed = verify(csv, harness.token(Role::auditor));
  EXPECT_FALSE(changed["genuine"].get<bool>());
  EXPECT_EQ(changed["format"], "csv");
  ASSERT_FALSE(changed["problems"].empty());
  EXPECT_NE(changed["sha256"], changed["stated"]["sha256"]);

  const auto stranger = verify("%PDF-1.5\nnot one of ours\n", harness.token(Role::auditor));
  EXPECT_FALSE(stranger["genuine"].get<bool>());
  EXPECT_FALSE(stranger["problems"].empty()) << stranger.dump(2);

  const auto empty = harness.call(bhttp::verb::post, "/api/v1/reports/verify", harness.token(Role::auditor));
  EXPECT_EQ(empty.result_int(), 400);
  EXPECT_EQ(error_message(empty), "body: the report file's bytes, as downloaded (CSV, JSON or PDF)");
}

// A token for one clinic learns nothing of a report of all clinics, not even that it exists.
TEST_F(VerifiedReports, ForATokenOfOneClinic_OnlyThatClinicsReportsAreGenuine) {
  const auto north = raw(kDayReport + "&format=csv", Role::auditor).body();
  const auto all = raw("/api/v1/reports/compliance?format=csv", Role::auditor).body();
  const auto north_auditor = harness.north_token(Role::auditor);
  EXPECT_TRUE(verify(north, north_auditor)["genuine"].get<bool>());
  const auto hidden = verify(all, north_auditor);
  EXPECT_FALSE(hidden["genuine"].get<bool>());
  EXPECT_TRUE(hidden["record"].is_null());
  EXPECT_EQ(hidden["problems"], json::array({"no report of a clinic this token may read has this content"}));
}

// The recall as a file to hand over: sealed, recorded and proved like a compliance report.
TEST_F(VerifiedReports, ARecallsCsvAndPdf_AreSealedRecordedAndGenuine) {
  const std::string recall = "/api/v1/recalls/STER-1/CYC-1";
  const auto csv = raw(recall + "?format=csv", Role::manager);
  ASSERT_EQ(csv.result_int(), 200) << csv.body();
  EXPECT_EQ(csv[bhttp::field::content_disposition], "attachment; filename=\"recall-STER-1-CYC-1.csv\"");
  EXPECT_TRUE(
      csv.body().starts_with("report,title,clinic,from,to,generated_at,generated_by,layout\r\nreport,Recall "
                             "report,north,"))
      << csv.body();
  EXPECT_NE(csv.body().find("\r\nrecall,STER-1/CYC-1,"), std::string::npos) << csv.body();
  EXPECT_EQ(csv.body().find("\r\nsession,"), std::string::npos) << "a recall report lists the recall only";
  const auto record = last_audit_record();
  EXPECT_EQ(record["action"], "recall_report");
  EXPECT_EQ(record["actor"], "token:" + Harness::name(Role::manager));
  EXPECT_EQ(record["clinic"], "north");
  EXPECT_EQ(record["after"]["kind"], "recall");
  EXPECT_EQ(record["after"]["cycle"], "STER-1/CYC-1");
  const auto csv_verdict = verify(csv.body(), harness.token(Role::auditor));
  EXPECT_TRUE(csv_verdict["genuine"].get<bool>()) << csv_verdict.dump(2);
  EXPECT_EQ(csv_verdict["record"]["seq"], record["seq"]);

  const auto pdf = raw(recall + "?format=pdf", Role::viewer);
  ASSERT_EQ(pdf.result_int(), 200) << pdf.body().substr(0, 300);
  EXPECT_EQ(pdf[bhttp::field::content_type], "application/pdf");
  EXPECT_TRUE(pdf.body().starts_with("%PDF-"));
  EXPECT_TRUE(verify(pdf.body(), harness.token(Role::auditor))["genuine"].get<bool>());

  EXPECT_EQ(raw("/api/v1/recalls/STER-1/CYC-9?format=pdf", Role::auditor).result_int(), 404);
  const auto json_format = harness.get(recall + "?format=json", Role::auditor);
  EXPECT_EQ(json_format.result_int(), 400);
  EXPECT_EQ(error_message(json_format), "format: must be one of csv, pdf");
}

// Uploads have a limit of their own, for the tokens that may verify; every other route keeps the small one.
TEST(ReportUploads, AreLimitedByUploadLimit_OtherBodiesByBodyLimit) {
  Harness harness(tweaked([](HttpOptions& o) {
    o.body_limit = 1024;
    o.upload_limit = 64 * 1024;
  }));
  Client client(harness.port());
  const auto within = client.request(bhttp::verb::post, "/api/v1/reports/verify", harness.token(Role::auditor),
                                     std::string(32 * 1024, 'r'));
  EXPECT_EQ(within.result_int(), 200) << within.body();
  EXPECT_FALSE(json_of(within)["genuine"].get<bool>());
  const auto over = client.request(bhttp::verb::post, "/api/v1/reports/verify", harness.token(Role::auditor),
                                   std::string(65 * 1024, 'r'));
  EXPECT_EQ(over.result_int(), 413);
  EXPECT_EQ(error_message(over),
            "the request body exceeds the limit of 65536 bytes (http.upload_limit; `sterifleet report verify` on the "
            "daemon's host checks a report of any size)");
  // Only a caller who may verify gets the larger limit, checked before the body is read.
  Client anonymous(harness.port());
  const auto refused = anonymous.request(bhttp::verb::post, "/api/v1/reports/verify", harness.token(Role::viewer),
                                         std::string(32 * 1024, 'r'));
  EXPECT_EQ(refused.result_int(), 413);
  EXPECT_EQ(error_message(refused),
            "the request body exceeds the limit of 1024 bytes (a larger report needs an auditor's or admin's token)");
  Client other(harness.port());
  const auto elsewhere =
      other.request(bhttp::verb::post, "/api/v1/reprocessing", harness.token(Role::manager), std::string(2048, 'x'));
  EXPECT_EQ(elsewhere.result_int(), 413);
  EXPECT_EQ(error_message(elsewhere), "the request body exceeds the limit of 1024 bytes");
}

TEST_F(Reports, Defaults_AreJsonAndTheLast30Days) {
  const auto report = json_of(harness.get("/api/v1/reports/compliance", Role::auditor));
  EXPECT_EQ(report["report"]["to"], "2026-11-25T00:00:00.000Z");
  EXPECT_EQ(report["report"]["from"], "2026-10-26T00:00:00.000Z");
  EXPECT_TRUE(report["report"]["clinic"].is_null());
  EXPECT_EQ(report["sessions"].size(), 3u);
}

TEST_F(Reports, NeedsAnAuditorOrAdminToken) {
  const auto anonymous = harness.call(bhttp::verb::get, kDayReport, "");
  EXPECT_EQ(anonymous.result_int(), 401);
  EXPECT_EQ(error_code(anonymous), "unauthorized");
  for (const auto role : {Role::viewer, Role::manager}) {
    const auto refused = harness.get(kDayReport, role);
    EXPECT_EQ(refused.result_int(), 403);
    EXPECT_EQ(error_message(refused),
              "this endpoint needs a token with role auditor or admin; this token is " + std::string(to_string(role)));
  }
  const auto head = json_of(harness.get("/api/v1/audit/verify", Role::auditor))["head"]["seq"];
  EXPECT_EQ(json_of(harness.get("/api/v1/audit/verify", Role::auditor))["head"]["seq"], head)
      << "a refused request records nothing";
}

TEST_F(Reports, BadParameters_Are400NamingTheParameter) {
  const std::string base = "/api/v1/reports/compliance?";
  const auto head = json_of(harness.get("/api/v1/audit/verify", Role::auditor))["head"]["seq"];
  EXPECT_EQ(bad(base + "format=xml"), "format: must be one of csv, json, pdf");
  EXPECT_EQ(bad(base + "from=yesterday"), "from: expected an RFC 3339 UTC timestamp like 2026-11-24T09:15:02Z");
  EXPECT_EQ(bad(base + "to=2026-11-25"), "to: expected an RFC 3339 UTC timestamp like 2026-11-24T09:15:02Z");
  EXPECT_EQ(bad(base + "from=2026-11-25T00:00:00Z&to=2026-11-24T00:00:00Z"), "to: must be later than from");
  EXPECT_EQ(bad(base + "from=2030-01-01T00:00:00Z"),
            "from: must be earlier than to (which defaults to the end of today, UTC)");
  EXPECT_EQ(bad(base + "from=2025-01-01T00:00:00Z&to=2026-11-25T00:00:00Z"),
            "to: the period may span at most 366 days");
  EXPECT_EQ(bad(base + "clinic=no%20spaces"), "clinic: must be 1 to 64 letters, digits, '_', '.' or '-'");
  EXPECT_EQ(bad(base + "section=sessions"), "section: unknown parameter; expected one of clinic, from, to, format");
  EXPECT_EQ(bad(base + "format=csv&format=pdf"), "format: given more than once");
  EXPECT_EQ(json_of(harness.get("/api/v1/audit/verify", Role::auditor))["head"]["seq"], head)
      << "a refused request records nothing";
}

}  // namespace
}  // namespace sterifleet::http::testing
