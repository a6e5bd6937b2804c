// The audit chain's definition, as a verifier outside sterifleet would reimplement it.
#include <gtest/gtest.h>

#include "sterifleet/store/canonical_json.hpp"
#include "store_fixtures.hpp"

namespace sterifleet::store::testing {
namespace {

using nlohmann::json;

TEST(AuditChain, CanonicalBytesAreTheRfc8785FormOfTheRecord) {
  engine::AuditRecord record{at(5, 250),
                             "token:anna",
                             "alert:0011223344556677",
                             "acknowledged",
                             json{{"state", "open"}, {"b", {1, 2.5, nullptr, 134.0, 1e-7}}},
                             json{{"state", "acknowledged"}, {"comment", "tab\there \"quoted\" ✓ \x01"}},
                             "POST /api/v1/alerts/0011223344556677/ack"};
  const std::string prev(64, 'a');
  const auto canonical = audit_canonical(42, record, prev);
  const json expected{{"seq", 42},
                      {"at", "2026-11-02T08:05:00.250Z"},
                      {"actor", record.actor},
                      {"entity", record.entity},
                      {"action", record.action},
                      {"before", record.before},
                      {"after", record.after},
                      {"cause", record.cause},
                      {"prev", prev}};
  EXPECT_EQ(canonical, canonical_json(expected));
  EXPECT_EQ(canonical,
            "{\"action\":\"acknowledged\",\"actor\":\"token:anna\",\"after\":{\"comment\":\"tab\\there "
            "\\\"quoted\\\" ✓ \\u0001\",\"state\":\"acknowledged\"},\"at\":\"2026-11-02T08:05:00.250Z\","
            "\"before\":{\"b\":[1,2.5,null,134,1e-7],\"state\":\"open\"},\"cause\":\"POST "
            "/api/v1/alerts/0011223344556677/ack\",\"entity\":\"alert:0011223344556677\",\"prev\":\"" +
                prev + "\",\"seq\":42}");
  EXPECT_EQ(json::parse(canonical), expected);
}

// A record of a clinic names it between cause and entity, in key order; a record of the fleet (no clinic)
// has the form every record had before records named their clinic, so those keep their hashes.
TEST(AuditChain, TheClinicIsInTheFormOnlyWhenTheRecordHasOne) {
  engine::AuditRecord record{at(0), "engine", "device:PEN-1", "hygiene", json(), json{{"hygiene", "ready"}}, "c"};
  const std::string prev(64, '0');
  const std::string fleet_form = R"({"action":"hygiene","actor":"engine","after":{"hygiene":"ready"},)"
                                 R"("at":"2026-11-02T08:00:00.000Z","before":null,"cause":"c",)"
                                 R"("entity":"device:PEN-1","prev":")" +
                                 prev + R"(","seq":1})";
  EXPECT_EQ(audit_canonical(1, record, prev), fleet_form);
  record.clinic = "north";
  const auto clinic_form = audit_canonical(1, record, prev);
  EXPECT_EQ(clinic_form, R"({"action":"hygiene","actor":"engine","after":{"hygiene":"ready"},)"
                         R"("at":"2026-11-02T08:00:00.000Z","before":null,"cause":"c","clinic":"north",)"
                         R"("entity":"device:PEN-1","prev":")" +
                             prev + R"(","seq":1})");
  EXPECT_EQ(clinic_form, canonical_json(json::parse(clinic_form)));
  record.clinic = "south";
  EXPECT_NE(audit_hash(prev, audit_canonical(1, record, prev)), audit_hash(prev, clinic_form));
}

// Chains stored before the form was RFC 8785 were hashed over nlohmann's dump(): the same bytes for
// every record without a non-integer number, which is every record the daemon wrote but those that
// carry a cycle's temperature or a concentration. Verification hashes stored text, so those verify too
// (SqliteBackend.AuditChain_StoredBeforeRfc8785StillVerifies).
TEST(AuditChain, WithoutNonIntegersTheFormerFormIsTheSameBytes) {
  const json records[] = {
      json{{"state", "open"}, {"n", -7}, {"big", 1764662400123}, {"list", {1, "two", nullptr, true}}},
      json{{"comment", "tab\t nl\n quote\" backslash\\ \x01\x1f\x7f é ✓ 😀"}, {"empty", json::object()}}, json::array(),
      json()};
  for (const auto& value : records) {
    EXPECT_EQ(canonical_json(value), value.dump()) << value.dump();
  }
}

TEST(AuditChain, TextThatIsNotUtf8IsStoredRepaired_NotRefused) {
  // Refusing would fail the commit, and the daemon with it, over one stray byte.
  engine::AuditRecord record{
      at(0), "token:anna", "alert:1", "acknowledged", json(), json{{"comment", "caf\xe9"}}, "GET /x?\xff"};
  const auto canonical = audit_canonical(1, record, std::string(64, '0'));
  EXPECT_NE(canonical.find("\"cause\":\"GET /x?\xef\xbf\xbd\""), std::string::npos) << canonical;
  EXPECT_NE(canonical.find("\"after\":{\"comment\":\"caf\xef\xbf\xbd\"}"), std::string::npos) << canonical;
}

TEST(AuditChain, HashIsSha256OfPrevHashThenCanonicalBytes) {
  const auto record = audit("pen:PEN-0001", "session.start", at(0));
  const std::string prev(64, '0');
  const auto canonical = audit_canonical(1, record, prev);
  EXPECT_EQ(audit_hash(prev, canonical), sha256_hex(prev + canonical));
}

TEST(AuditChain, TimesAreWrittenAsTheProtocolWritesThem) {
  const std::string prev(64, '0');
  std::vector<Timestamp> times{Timestamp{}, at(0), at(0, 7), at(-60 * 24 * 400, 999)};
  for (const char* text : {"2024-02-29T23:59:59.999Z", "1970-01-01T00:00:00.001Z", "1969-12-31T23:59:59.500Z",
                           "9999-12-31T23:59:59.999Z", "0001-01-01T00:00:00.000Z"}) {
    times.push_back(*protocol::parse_timestamp(text));
  }
  for (const auto ts : times) {
    const auto canonical = audit_canonical(1, {ts, "a", "e", "x", json(), json(), "c"}, prev);
    EXPECT_EQ(json::parse(canonical).at("at"), protocol::format_timestamp(ts));
  }
}

TEST(AuditChain, NullBeforeAndEmptyFieldsAreStillValidJson) {
  engine::AuditRecord record{at(0), "", "", "", json(), json(), ""};
  const auto canonical = audit_canonical(1, record, std::string(64, '0'));
  EXPECT_EQ(json::parse(canonical).at("before"), nullptr);
}

}  // namespace
}  // namespace sterifleet::store::testing
