// Rows whose values are awkward for a CSV writer that reads the stored JSON text without parsing it
// into objects: escaped quotes, tabs and backslashes, non-ASCII letters, a comma, fractions written
// shortest, nulls. Each CSV field must say what the JSON report (the stored row itself) says.
#include <gtest/gtest.h>

#include <charconv>

#include "clinic_day.hpp"

namespace sterifleet::report::testing {
namespace {

using nlohmann::json;

// A JSON value as the CSV layout writes it (daemon/report/README.md): text as is, numbers shortest,
// null empty, booleans true/false.
std::string field_of(const json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) {
    char digits[32];
    const auto end = std::to_chars(digits, digits + sizeof digits, value.get<double>()).ptr;
    return std::string(digits, end);
  }
  return value.dump();
}

class StoredValuesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::open_sqlite((dir_.path() / "sterifleet.db").string());
    store::Commit commit;
    engine::CycleRecord cycle;
    cycle.clinic = protocol::ClinicId{"north"};
    cycle.sterilizer = protocol::DeviceId{"STER-1"};
    cycle.cycle.cycle = protocol::CycleId{"C \"1\", ü"};
    cycle.key = "STER-1/C \"1\", ü";
    cycle.message = "STER-1/1/1";
    cycle.ts = at(8);
    cycle.cycle.method = protocol::Method::steam_prevac;
    cycle.cycle.wrapped = true;
    cycle.cycle.temperature = protocol::Celsius{134.5};
    cycle.cycle.exposure = std::chrono::seconds{300};
    cycle.cycle.pressure = protocol::Kilopascals{0.1 + 0.2};
    cycle.cycle.load = {protocol::DeviceId{"PEN-\"a\""}, protocol::DeviceId{"PEN-b\tc"}};
    cycle.cycle.operator_id = protocol::OperatorId{"op\\back"};
    cycle.entered_by = "device:STER-1";
    commit.cycles.push_back({cycle});

    engine::SessionRecord s;
    s.id = protocol::SessionId{"S \"1\""};
    s.key = "PEN-1/1/2";
    s.started = at(9);
    s.ended = at(9, 20);
    s.start.session = s.id;
    s.start.cartridge = protocol::Cartridge{protocol::CartridgeId{"K,1"},
                                            protocol::LotId{"LOT-é"},
                                            *protocol::parse_date("2027-06-30"),
                                            12,
                                            300000,
                                            std::nullopt};
    s.start.depth = protocol::Millimetres{0.25};
    s.start.speed = protocol::Hertz{100};
    s.start.operator_id = protocol::OperatorId{"op \"anna\"\nsecond line"};
    s.start.patient = protocol::PatientRef{"pt\t\\7 ☃"};
    s.start.area = protocol::TreatmentArea::cheek;
    s.end = protocol::SessionEnd{s.id, 1200, std::chrono::seconds{900}};
    s.clearance = cycle.key;
    commit.sessions.push_back({protocol::ClinicId{"north"}, protocol::DeviceId{"PEN-1"}, std::move(s)});
    store_->commit(commit);
  }

  std::string make(Format format) {
    ComplianceRequest request;
    request.clinic = "north";
    request.from = kDay;
    request.to = kDay + std::chrono::days(1);
    request.format = format;
    request.actor = "cli";
    request.cause = "stored_values_test";
    request.now = kDay + std::chrono::days(2);
    StringOutput out;
    make_compliance_report(*store_, request, out, [this](const engine::AuditRecord& record) {
      store::Commit commit;
      commit.audit.push_back(record);
      store_->commit(commit);
    });
    return std::move(out.text());
  }

  sterifleet::testing::TempDir dir_{"sterifleet-stored-values"};
  std::unique_ptr<store::Store> store_;
};

TEST_F(StoredValuesTest, Csv_SessionFieldsAreTheStoredValues) {
  const auto sessions = rows(parse_csv(make(Format::csv)), "session");
  const auto document = json::parse(make(Format::json));
  ASSERT_EQ(sessions.size(), 1u);
  const auto& csv = sessions[0];
  const auto& stored = document.at("sessions").at(0);
  for (const char* name : {"started", "ended", "clinic", "pen", "session", "operator", "patient", "area", "depth_mm",
                           "strokes", "runtime_s", "compliant"}) {
    EXPECT_EQ(csv.at(name), field_of(stored.at(name))) << name;
  }
  EXPECT_EQ(csv.at("cartridge"), "K,1");
  EXPECT_EQ(csv.at("lot"), "LOT-é");
  EXPECT_EQ(csv.at("operator"), "op \"anna\"\nsecond line");
  EXPECT_EQ(csv.at("patient"), "pt\t\\7 ☃");
  EXPECT_EQ(csv.at("depth_mm"), "0.25");
  EXPECT_EQ(csv.at("cleared_by"), "STER-1/C \"1\", ü");
}

TEST_F(StoredValuesTest, Csv_CycleFieldsAreTheStoredValues) {
  const auto cycles = rows(parse_csv(make(Format::csv)), "cycle");
  const auto document = json::parse(make(Format::json));
  ASSERT_EQ(cycles.size(), 1u);
  const auto& csv = cycles[0];
  const auto& stored = document.at("cycles").at(0);
  for (const char* name :
       {"ts", "clinic", "key", "sterilizer", "cycle", "method", "wrapped", "temp_c", "exposure_s", "pressure_kpa", "ci",
        "bi_monitored", "operator", "entered_by", "state", "valid", "recalled_at", "recalled_by"}) {
    EXPECT_EQ(csv.at(name), field_of(stored.at(name))) << name;
  }
  EXPECT_EQ(csv.at("temp_c"), "134.5");
  EXPECT_EQ(csv.at("pressure_kpa"), "0.30000000000000004");
  EXPECT_EQ(csv.at("load"), "PEN-\"a\" PEN-b\tc");
  EXPECT_EQ(csv.at("operator"), "op\\back");
  EXPECT_EQ(csv.at("recalled_at"), "");
}

TEST_F(StoredValuesTest, Json_RowsAreTheStoredRows) {
  const auto document = json::parse(make(Format::json));
  EXPECT_EQ(document.at("sessions"), json(store_->sessions({}).rows));
  EXPECT_EQ(document.at("cycles"), json(store_->cycles({}).rows));
}

}  // namespace
}  // namespace sterifleet::report::testing
