#include "clinic_day.hpp"

#include <gtest/gtest.h>

#include "sterifleet/crypto/sha256.hpp"
#include "sterifleet/protocol/codec.hpp"

namespace sterifleet::report::testing {

using protocol::DeviceKind;

ClinicDay::ClinicDay() : ScriptedFleet("sterifleet-report", kDay) { script(); }

ClinicDay::~ClinicDay() = default;

// North: PEN-1 and PEN-2 are reprocessed by STER-1/CYC-1 (BI monitored). PEN-1 treats S1, then S2 with
// the same cartridge and without reprocessing (cartridge.reused, device.used_without_reprocessing);
// PEN-2 treats S3. CYC-2 is too short (cycle.parameters_insufficient); CYC-3 reprocesses PEN-1 (which
// clears the unreprocessed use); PEN-1 treats S4, whose patient reference is a date of birth (drift). CYC-1's BI reads
// positive at 12:00: CYC-1 is recalled with S1, S2 and S3 and, on day two, S5. CYC-4's chemical indicator fails
// (cycle.indicator_failed). A manager acknowledges the positive BI and resolves the failed indicator's alert. South:
// PEN-9 treats S9.
void ClinicDay::script() {
  send("north", "PEN-1", birth(DeviceKind::pen, "Dermapen 4"), at(7));
  send("north", "PEN-2", birth(DeviceKind::pen, "Dermapen 4"), at(7));
  send("north", "STER-1", birth(DeviceKind::sterilizer, "Lisa 500"), at(7));
  send("south", "PEN-9", birth(DeviceKind::pen, "Dermapen 4"), at(7));
  send("north", "STER-1", protocol::BowieDickTest{protocol::PassFail::pass}, at(7, 1));
  send("north", "STER-1", steam_cycle("CYC-1", {"PEN-1", "PEN-2"}, true, 134, 300), at(7, 10));
  send("north", "PEN-1", session_start("S1", "C1"), at(8));
  send("north", "PEN-1", session_end("S1"), at(8, 20));
  send("north", "PEN-1", session_start("S2", "C1"), at(8, 30));
  send("north", "PEN-1", session_end("S2"), at(8, 50));
  send("north", "PEN-2", session_start("S3", "C3"), at(9));
  send("north", "PEN-2", session_end("S3"), at(9, 20));
  send("south", "PEN-9", session_start("S9", "C9"), at(9));
  send("south", "PEN-9", session_end("S9"), at(9, 20));
  send("north", "STER-1", steam_cycle("CYC-2", {"PEN-1"}, false, 121, 60), at(10));
  send("north", "STER-1", steam_cycle("CYC-3", {"PEN-1"}, false, 134, 300), at(10, 30));
  send("north", "PEN-1", session_start("S4", "C4", "1985-03-02"), at(11));
  send("north", "PEN-1", session_end("S4"), at(11, 20));
  send("north", "STER-1", bi_result("CYC-1", true), at(12));
  send("north", "STER-1", steam_cycle("CYC-4", {"PEN-2"}, false, 134, 300, false), at(13));
  set_now(at(14));
  const auto acknowledged = fleet().acknowledge(alert_id("cycle.bi_positive"), "token:mia", "recall started");
  ASSERT_TRUE(acknowledged.ok()) << acknowledged.refusal->message;
  const auto resolved = fleet().resolve(alert_id("cycle.indicator_failed"), "token:mia", kResolveReason);
  ASSERT_TRUE(resolved.ok()) << resolved.refusal->message;
  send("north", "PEN-2", session_start("S5", "C5"), at(24 + 8));
  send("north", "PEN-2", session_end("S5"), at(24 + 8, 20));
  set_now(at(24 + 12));
}

std::string ClinicDay::alert_id(const std::string& rule, const std::string& clinic) {
  store::AlertQuery query;
  query.rule = rule;
  query.clinic = clinic;
  const auto rows = store().alerts(query).rows;
  EXPECT_EQ(rows.size(), 1u) << rule;
  return rows.empty() ? std::string() : rows.front().at("id").get<std::string>();
}

ComplianceRequest ClinicDay::request(Format format, std::optional<std::string> clinic, Timestamp from,
                                     Timestamp to) const {
  ComplianceRequest request;
  request.clinic = std::move(clinic);
  request.from = from;
  request.to = to;
  request.format = format;
  request.actor = "token:ann";
  request.cause = "test";
  request.now = now();
  if (signing_key) {
    request.sign_checkpoint = [this](const store::AuditHead& head) {
      return checkpoint::sign(*signing_key, store(), head, now());
    };
  }
  return request;
}

ClinicDay::Result ClinicDay::make(Format format, std::optional<std::string> clinic, Timestamp from, Timestamp to,
                                  std::size_t max_pdf_rows) {
  auto r = request(format, std::move(clinic), from, to);
  r.max_pdf_rows = max_pdf_rows;
  StringOutput out;
  Result result;
  result.made = make_compliance_report(store(), r, out, [this](const engine::AuditRecord& record) {
    store::Commit commit;
    commit.audit.push_back(record);
    store().commit(commit);
  });
  result.text = std::move(out.text());
  return result;
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      record.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(record));
      record.clear();
      ++i;
    } else {
      field.push_back(c);
    }
  }
  EXPECT_TRUE(record.empty() && field.empty()) << "the CSV does not end with CRLF";
  return records;
}

std::vector<std::vector<std::string>> section(const std::vector<std::vector<std::string>>& records,
                                              const std::string& name) {
  std::vector<std::vector<std::string>> out;
  for (const auto& record : records) {
    if (!record.empty() && record.front() == name) out.push_back(record);
  }
  return out;
}

std::vector<std::map<std::string, std::string>> rows(const std::vector<std::vector<std::string>>& records,
                                                     const std::string& name) {
  const auto all = section(records, name);
  std::vector<std::map<std::string, std::string>> out;
  for (std::size_t r = 1; r < all.size(); ++r) {
    std::map<std::string, std::string> row;
    EXPECT_EQ(all[r].size(), all[0].size()) << name << " record " << r << " has another number of fields";
    for (std::size_t c = 1; c < all[0].size() && c < all[r].size(); ++c) row[all[0][c]] = all[r][c];
    out.push_back(std::move(row));
  }
  return out;
}

std::string sha256_of(std::string_view bytes) { return crypto::sha256_hex(bytes); }

}  // namespace sterifleet::report::testing
