// The audit chain's definition, as a verifier outside sterifleet would reimplement it.
#include <gtest/gtest.h>

#include "store_fixtures.hpp"

namespace sterifleet::store::testing {
namespace {

using nlohmann::json;

TEST(AuditChain, Sha256HexMatchesTheStandardVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(AuditChain, CanonicalBytesAreTheSortedCompactJsonOfTheRecord) {
  engine::AuditRecord record{at(5, 250),
                             "token:anna",
                             "alert:0011223344556677",
                             "acknowledged",
                             json{{"state", "open"}, {"b", {1, 2.5, nullptr}}},
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
  EXPECT_EQ(canonical, expected.dump());
  EXPECT_EQ(json::parse(canonical), expected);
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
