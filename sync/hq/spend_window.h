// HQ's rolling 12-month spend: checkouts minus refunds in calendar-month buckets (UTC) per
// member, so the figure at any moment is a sum of at most 12 rows. Pure; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace pma::hq {

// Months in the window: the month of "now" and the 11 before it.
inline constexpr std::int64_t kSpendWindowMonths = 12;

// Months since January 1970 (UTC) of a UTC millisecond timestamp (negative before 1970).
inline std::int64_t utc_month_index(std::int64_t utc_ms) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(utc_ms)));
  const year_month_day ymd(day);
  return (static_cast<std::int64_t>(static_cast<int>(ymd.year())) - 1970) * 12 +
         static_cast<std::int64_t>(static_cast<unsigned>(ymd.month())) - 1;
}

// The oldest month bucket inside the window at now_ms.
inline std::int64_t first_window_month(std::int64_t now_ms) {
  return utc_month_index(now_ms) - (kSpendWindowMonths - 1);
}

}  // namespace pma::hq
