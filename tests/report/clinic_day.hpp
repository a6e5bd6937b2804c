// A store filled the way the daemon fills it: a fleet::Fleet (the real engine and SQLite store) ingesting
// protocol messages of a scripted clinic day, with people acknowledging and resolving alerts. What the
// day holds is listed at ClinicDay::ClinicDay, so tests can state the report they expect.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "scripted_fleet.hpp"
#include "sterifleet/crypto/ed25519.hpp"
#include "sterifleet/fleet/fleet.hpp"
#include "sterifleet/report/compliance.hpp"

namespace sterifleet::report::testing {

using protocol::Timestamp;

/// 2026-11-02T00:00:00Z: the scripted day; its second day is kDay + 24 h.
inline const Timestamp kDay = *protocol::parse_timestamp("2026-11-02T00:00:00Z");
inline Timestamp at(int hour, int minute = 0) { return kDay + std::chrono::hours(hour) + std::chrono::minutes(minute); }

/// The resolution reason of the failed indicator's alert: a comma, quotes and a line break for CSV.
inline const std::string kResolveReason = "cartridge \"C1\" discarded,\npatient informed";

class ClinicDay : public ScriptedFleet {
 public:
  ClinicDay();
  ~ClinicDay() override;
  /// The id of the one alert of `rule` (fails the test when there is not exactly one).
  std::string alert_id(const std::string& rule, const std::string& clinic = "north");

  /// A report of the scripted day (by default: clinic north, both days), kept in memory; the audit
  /// record is appended to the store.
  struct Result {
    std::string text;
    Made made;
  };
  Result make(Format format, std::optional<std::string> clinic = "north", Timestamp from = kDay,
              Timestamp to = kDay + std::chrono::days(2), std::size_t max_pdf_rows = 50000);
  ComplianceRequest request(Format format, std::optional<std::string> clinic, Timestamp from, Timestamp to) const;

  /// With a key, reports carry a checkpoint of their head signed with it, as the daemon's do.
  std::optional<crypto::SigningKey> signing_key;

 private:
  void script();
};

/// RFC 4180 records (quoted fields may hold commas, quotes and line breaks).
std::vector<std::vector<std::string>> parse_csv(const std::string& text);
/// The records of one section, its header record first.
std::vector<std::vector<std::string>> section(const std::vector<std::vector<std::string>>& records,
                                              const std::string& name);
/// A section's records as maps from its header's column names.
std::vector<std::map<std::string, std::string>> rows(const std::vector<std::vector<std::string>>& records,
                                                     const std::string& name);

std::string sha256_of(std::string_view bytes);

}  // namespace sterifleet::report::testing
