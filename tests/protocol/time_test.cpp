// Timestamps and dates are parsed strictly (section 3.2 of the spec) and kept to the millisecond.
#include "sterifleet/protocol/time.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sterifleet::protocol {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

Timestamp at(year_month_day day, milliseconds since_midnight = 0ms) { return sys_days{day} + since_midnight; }

TEST(ParseTimestamp, AcceptsWholeSeconds) {
  EXPECT_EQ(parse_timestamp("2026-11-24T09:15:02Z"), at(2026y / 11 / 24, 9h + 15min + 2s));
}

TEST(ParseTimestamp, AcceptsFractionsOfOneToNineDigits) {
  const auto base = at(2026y / 11 / 24, 9h + 15min + 2s);
  EXPECT_EQ(parse_timestamp("2026-11-24T09:15:02.1Z"), base + 100ms);
  EXPECT_EQ(parse_timestamp("2026-11-24T09:15:02.12Z"), base + 120ms);
  EXPECT_EQ(parse_timestamp("2026-11-24T09:15:02.123Z"), base + 123ms);
  EXPECT_EQ(parse_timestamp("2026-11-24T09:15:02.1234Z"), base + 123ms);
  EXPECT_EQ(parse_timestamp("2026-11-24T09:15:02.12345Z"), base + 123ms);
  EXPECT_EQ(parse_timestamp("2026-11-24T09:15:02.123456Z"), base + 123ms);
  EXPECT_EQ(parse_timestamp("2026-11-24T09:15:02.1234567Z"), base + 123ms);
  EXPECT_EQ(parse_timestamp("2026-11-24T09:15:02.12345678Z"), base + 123ms);
  EXPECT_EQ(parse_timestamp("2026-11-24T09:15:02.123456789Z"), base + 123ms);
}

TEST(ParseTimestamp, TruncatesBelowMillisecondsInsteadOfRounding) {
  EXPECT_EQ(parse_timestamp("2026-11-24T23:59:59.999999999Z"), at(2026y / 11 / 24, 23h + 59min + 59s + 999ms));
  EXPECT_EQ(parse_timestamp("2026-11-24T09:15:02.0009Z"), at(2026y / 11 / 24, 9h + 15min + 2s));
}

TEST(ParseTimestamp, RejectsFractionsOfZeroOrTenDigits) {
  EXPECT_FALSE(parse_timestamp("2026-11-24T09:15:02.Z"));
  EXPECT_FALSE(parse_timestamp("2026-11-24T09:15:02.1234567890Z"));
}

TEST(ParseTimestamp, RejectsOffsetsAndMissingZ) {
  EXPECT_FALSE(parse_timestamp("2026-11-24T09:15:02"));
  EXPECT_FALSE(parse_timestamp("2026-11-24T09:15:02.120"));
  EXPECT_FALSE(parse_timestamp("2026-11-24T09:15:02+00:00"));
  EXPECT_FALSE(parse_timestamp("2026-11-24T10:15:02.120+01:00"));
  EXPECT_FALSE(parse_timestamp("2026-11-24T09:15:02z"));
}

TEST(ParseTimestamp, RejectsOtherShapes) {
  EXPECT_FALSE(parse_timestamp(""));
  EXPECT_FALSE(parse_timestamp("Z"));
  EXPECT_FALSE(parse_timestamp("2026-11-24"));
  EXPECT_FALSE(parse_timestamp("2026-11-24 09:15:02Z"));
  EXPECT_FALSE(parse_timestamp("2026-11-24t09:15:02Z"));
  EXPECT_FALSE(parse_timestamp("2026-11-24T9:15:02Z"));
  EXPECT_FALSE(parse_timestamp("2026-11-24T09:15:2Z"));
  EXPECT_FALSE(parse_timestamp("2026-11-24T09-15-02Z"));
  EXPECT_FALSE(parse_timestamp("2026-11-24T09:15:02,120Z"));
  EXPECT_FALSE(parse_timestamp("2026-11-24T09:15:02.12aZ"));
  EXPECT_FALSE(parse_timestamp("2026-11-24T09:15:02.120ZZ"));
  EXPECT_FALSE(parse_timestamp("+2026-11-24T09:15:02Z"));
  EXPECT_FALSE(parse_timestamp("1764000000"));
}

TEST(ParseTimestamp, RejectsImpossibleTimes) {
  EXPECT_FALSE(parse_timestamp("2026-11-24T24:00:00Z"));
  EXPECT_FALSE(parse_timestamp("2026-11-24T25:00:00Z"));
  EXPECT_FALSE(parse_timestamp("2026-11-24T09:60:00Z"));
  EXPECT_FALSE(parse_timestamp("2026-11-24T23:59:60Z"));  // leap seconds do not exist in sys_time
  EXPECT_TRUE(parse_timestamp("2026-11-24T23:59:59Z"));
  EXPECT_TRUE(parse_timestamp("2026-11-24T00:00:00Z"));
}

TEST(ParseTimestamp, RejectsImpossibleDates) {
  EXPECT_FALSE(parse_timestamp("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_timestamp("2026-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_timestamp("2026-04-31T00:00:00Z"));
  EXPECT_FALSE(parse_timestamp("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_timestamp("2026-00-10T00:00:00Z"));
  EXPECT_FALSE(parse_timestamp("2026-11-00T00:00:00Z"));
}

TEST(ParseTimestamp, KnowsLeapDays) {
  EXPECT_EQ(parse_timestamp("2028-02-29T12:00:00Z"), at(2028y / 2 / 29, 12h));
  EXPECT_EQ(parse_timestamp("2000-02-29T00:00:00Z"), at(2000y / 2 / 29));  // divisible by 400
  EXPECT_FALSE(parse_timestamp("2100-02-29T00:00:00Z"));                   // divisible by 100 only
}

TEST(ParseTimestamp, ParsesYearsBefore2000ForTheCallerToJudge) {
  // The 2000 floor is a rule for device clocks, applied by decode(); the parser only reads.
  EXPECT_EQ(parse_timestamp("1970-01-01T00:00:00Z"), Timestamp{});
  EXPECT_EQ(parse_timestamp("1999-12-31T23:59:59.999Z"), at(2000y / 1 / 1) - 1ms);
}

TEST(FormatTimestamp, WritesThreeFractionDigits) {
  EXPECT_EQ(format_timestamp(at(2026y / 11 / 24, 9h + 15min + 2s + 120ms)), "2026-11-24T09:15:02.120Z");
  EXPECT_EQ(format_timestamp(at(2026y / 11 / 24)), "2026-11-24T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(at(2026y / 1 / 5, 23h + 59min + 59s + 7ms)), "2026-01-05T23:59:59.007Z");
  EXPECT_EQ(format_timestamp(Timestamp{}), "1970-01-01T00:00:00.000Z");
}

TEST(FormatTimestamp, RoundTripsThroughParse) {
  for (const auto ts : {at(2000y / 1 / 1), at(2024y / 2 / 29, 13h + 1ms),
                        at(2026y / 12 / 31, 23h + 59min + 59s + 999ms), at(2099y / 7 / 4, 6h + 30min + 250ms)}) {
    EXPECT_EQ(parse_timestamp(format_timestamp(ts)), ts) << format_timestamp(ts);
  }
  for (const std::string text : {"2026-11-24T09:15:02.120Z", "2028-02-29T00:00:00.001Z", "2000-01-01T00:00:00.000Z"}) {
    EXPECT_EQ(format_timestamp(*parse_timestamp(text)), text);
  }
}

TEST(ParseDate, AcceptsRealCalendarDates) {
  EXPECT_EQ(parse_date("2027-06-30"), 2027y / 6 / 30);
  EXPECT_EQ(parse_date("2028-02-29"), 2028y / 2 / 29);
  EXPECT_EQ(parse_date("2000-02-29"), 2000y / 2 / 29);
  EXPECT_EQ(parse_date("2026-12-31"), 2026y / 12 / 31);
  EXPECT_EQ(parse_date("2026-01-01"), 2026y / 1 / 1);
}

TEST(ParseDate, RejectsImpossibleDates) {
  EXPECT_FALSE(parse_date("2027-02-29"));
  EXPECT_FALSE(parse_date("2100-02-29"));
  EXPECT_FALSE(parse_date("2026-02-30"));
  EXPECT_FALSE(parse_date("2026-06-31"));
  EXPECT_FALSE(parse_date("2026-13-01"));
  EXPECT_FALSE(parse_date("2026-00-01"));
  EXPECT_FALSE(parse_date("2026-01-00"));
  EXPECT_FALSE(parse_date("2026-01-32"));
}

TEST(ParseDate, RejectsOtherShapes) {
  EXPECT_FALSE(parse_date(""));
  EXPECT_FALSE(parse_date("2027-6-30"));
  EXPECT_FALSE(parse_date("2027-06-3"));
  EXPECT_FALSE(parse_date("27-06-30"));
  EXPECT_FALSE(parse_date("2027/06/30"));
  EXPECT_FALSE(parse_date("20270630"));
  EXPECT_FALSE(parse_date("2027-06-30T00:00:00Z"));
  EXPECT_FALSE(parse_date("2027-06-30 "));
  EXPECT_FALSE(parse_date("2027-0a-30"));
  EXPECT_FALSE(parse_date("-027-06-30"));
}

TEST(FormatDate, PadsAndRoundTrips) {
  EXPECT_EQ(format_date(2027y / 6 / 3), "2027-06-03");
  EXPECT_EQ(parse_date(format_date(2028y / 2 / 29)), 2028y / 2 / 29);
}

// Years outside 0..9999 cannot come from a parsed timestamp, but a corrupt clock can make them: they are
// written whole, as printf's "%04d" wrote them.
TEST(FormatDate, YearsOutsideFourDigitsAreWrittenWhole) {
  EXPECT_EQ(format_date(year{12026} / 6 / 3), "12026-06-03");
  EXPECT_EQ(format_date(year{-5} / 1 / 2), "-005-01-02");
  EXPECT_EQ(format_timestamp(at(year{10000} / 1 / 5, 23h + 59min + 59s + 7ms)), "10000-01-05T23:59:59.007Z");
}

TEST(UtcDate, IsTheCalendarDayOfTheTimestamp) {
  EXPECT_EQ(utc_date(at(2027y / 6 / 30, 23h + 59min + 59s + 999ms)), 2027y / 6 / 30);
  EXPECT_EQ(utc_date(at(2027y / 7 / 1)), 2027y / 7 / 1);
}

}  // namespace
}  // namespace sterifleet::protocol
