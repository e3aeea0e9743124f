#include "pma/calendar.h"

#include <chrono>

namespace pma {

namespace {

constexpr std::int64_t kMsPerMinute = 60'000;

}  // namespace

LocalDate local_date_at(std::int64_t utc_ms, int utc_offset_minutes) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds(utc_ms + utc_offset_minutes * kMsPerMinute)};
  const year_month_day ymd{floor<days>(t)};
  return LocalDate{static_cast<int>(ymd.year()), static_cast<int>(unsigned(ymd.month())),
                   static_cast<int>(unsigned(ymd.day()))};
}

std::int64_t local_day_start_ms(const LocalDate& date, int utc_offset_minutes) {
  using namespace std::chrono;
  const sys_days day{year{date.year} / month{static_cast<unsigned>(date.month)} /
                     std::chrono::day{static_cast<unsigned>(date.day)}};
  const auto ms = duration_cast<milliseconds>(day.time_since_epoch()).count();
  return ms - utc_offset_minutes * kMsPerMinute;
}

std::int64_t utc_month_index(std::int64_t utc_ms) {
  const LocalDate date = local_date_at(utc_ms, 0);
  return (static_cast<std::int64_t>(date.year) - 1970) * 12 + date.month - 1;
}

std::int64_t utc_month_start_ms(std::int64_t month_index) {
  // Floor division: month -1 is December 1969.
  const std::int64_t years = month_index >= 0 ? month_index / 12 : (month_index - 11) / 12;
  const LocalDate first{.year = static_cast<int>(1970 + years),
                        .month = static_cast<int>(month_index - years * 12) + 1,
                        .day = 1};
  return local_day_start_ms(first, 0);
}

std::int64_t first_window_month(std::int64_t now_ms) {
  return utc_month_index(now_ms) - (kSpendWindowMonths - 1);
}

}  // namespace pma
