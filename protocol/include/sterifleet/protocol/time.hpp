// Timestamps and calendar dates as the protocol writes them: RFC 3339 UTC and ISO 8601 dates.
// Device time is kept to the millisecond; parsing is strict so a clock that is not set is caught early.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sterifleet::protocol {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;
using Seconds = std::chrono::seconds;
using Date = std::chrono::year_month_day;

/// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`; fractions beyond milliseconds are truncated.
std::optional<Timestamp> parse_timestamp(std::string_view text) noexcept;
/// Formats as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
std::string format_timestamp(Timestamp ts);

/// Parses a valid calendar date `YYYY-MM-DD`.
std::optional<Date> parse_date(std::string_view text) noexcept;
std::string format_date(Date date);

/// The UTC calendar day a timestamp falls on.
Date utc_date(Timestamp ts) noexcept;

}  // namespace sterifleet::protocol
