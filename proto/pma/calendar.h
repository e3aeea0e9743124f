// The calendar rules the till and HQ must compute identically: the UTC month index HQ files
// spend under (pma.v1.SpendMonth.month) and the rolling 12-month window over it, and the
// store-local date (member days, birthdays, offline daily limits) at a fixed UTC offset.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>

namespace pma {

// A store-local calendar date (the caller converts UTC to the store's time zone).
struct LocalDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

// The store-local date of a UTC instant at a fixed UTC offset (minutes east of UTC; GCC 12 has
// no tz database in std::chrono, so the caller takes the offset from the configured zone,
// e.g. +480 for Shanghai).
LocalDate local_date_at(std::int64_t utc_ms, int utc_offset_minutes);
// The UTC instant (ms) at which the store-local date begins.
std::int64_t local_day_start_ms(const LocalDate& date, int utc_offset_minutes);

// Months in the spend window: the UTC month of "now" and the 11 before it.
inline constexpr std::int64_t kSpendWindowMonths = 12;

// Months since January 1970 (UTC) of a UTC millisecond timestamp (negative before 1970).
std::int64_t utc_month_index(std::int64_t utc_ms);
// The UTC instant (ms) at which a month index begins: utc_month_index(utc_month_start_ms(m)) == m.
std::int64_t utc_month_start_ms(std::int64_t month_index);
// The oldest month inside the spend window at now_ms (UTC months, as HQ files spend, so a
// till's window turns when HQ's does, not at store-local midnight).
std::int64_t first_window_month(std::int64_t now_ms);

}  // namespace pma
