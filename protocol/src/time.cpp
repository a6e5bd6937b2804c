#include "sterifleet/protocol/time.hpp"

#include <fmt/format.h>

namespace sterifleet::protocol {

namespace {

using namespace std::chrono;

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Reads `count` digits at `pos`; false if any is not a digit.
constexpr bool read_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) noexcept {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!is_digit(text[i])) return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

}  // namespace

std::optional<Date> parse_date(std::string_view text) noexcept {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (!read_digits(text, 0, 4, y) || !read_digits(text, 5, 2, m) || !read_digits(text, 8, 2, d)) return std::nullopt;
  const Date date{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  return date;
}

std::optional<Timestamp> parse_timestamp(std::string_view text) noexcept {
  // 2026-11-24T09:15:02Z is the shortest form; the fraction has 1 to 9 digits.
  if (text.size() < 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text.back() != 'Z') {
    return std::nullopt;
  }
  const auto date = parse_date(text.substr(0, 10));
  int hh = 0, mm = 0, ss = 0;
  if (!date || !read_digits(text, 11, 2, hh) || !read_digits(text, 14, 2, mm) || !read_digits(text, 17, 2, ss)) {
    return std::nullopt;
  }
  if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;  // leap seconds are not representable in sys_time
  int millis = 0;
  const std::size_t fraction_end = text.size() - 1;
  if (fraction_end > 19) {
    if (text[19] != '.') return std::nullopt;
    const std::size_t digits = fraction_end - 20;
    if (digits < 1 || digits > 9) return std::nullopt;
    for (std::size_t i = 20; i < fraction_end; ++i) {
      if (!is_digit(text[i])) return std::nullopt;
      if (i < 23) millis = millis * 10 + (text[i] - '0');
    }
    for (std::size_t i = digits; i < 3; ++i) millis *= 10;
  }
  return Timestamp{sys_days{*date} + hours{hh} + minutes{mm} + seconds{ss} + milliseconds{millis}};
}

namespace {

// Digits written by hand: snprintf took most of the time of rendering a device for the dashboard,
// which writes three timestamps a device.
void put_digits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// "YYYY-MM-DD" into out[0..9], for years 0 to 9999.
void put_date(char* out, const year_month_day& date) {
  put_digits(out, static_cast<unsigned>(static_cast<int>(date.year())), 4);
  out[4] = '-';
  put_digits(out + 5, static_cast<unsigned>(date.month()), 2);
  out[7] = '-';
  put_digits(out + 8, static_cast<unsigned>(date.day()), 2);
}

bool four_digit_year(const year_month_day& date) {
  const int year = static_cast<int>(date.year());
  return year >= 0 && year <= 9999;
}

}  // namespace

std::string format_date(Date date) {
  if (!four_digit_year(date)) {
    return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                       static_cast<unsigned>(date.day()));
  }
  std::string out(10, '-');
  put_date(out.data(), date);
  return out;
}

std::string format_timestamp(Timestamp ts) {
  const auto day = floor<days>(ts);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> time{ts - day};
  if (!four_digit_year(date)) {
    return fmt::format("{}T{:02}:{:02}:{:02}.{:03}Z", format_date(Date{day}), time.hours().count(),
                       time.minutes().count(), time.seconds().count(), time.subseconds().count());
  }
  std::string out("0000-00-00T00:00:00.000Z");
  put_date(out.data(), date);
  put_digits(out.data() + 11, static_cast<unsigned>(time.hours().count()), 2);
  put_digits(out.data() + 14, static_cast<unsigned>(time.minutes().count()), 2);
  put_digits(out.data() + 17, static_cast<unsigned>(time.seconds().count()), 2);
  put_digits(out.data() + 20, static_cast<unsigned>(time.subseconds().count()), 3);
  return out;
}

Date utc_date(Timestamp ts) noexcept { return Date{floor<days>(ts)}; }

}  // namespace sterifleet::protocol
