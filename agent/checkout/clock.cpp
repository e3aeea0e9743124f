#include "checkout/clock.h"

#include <chrono>

namespace pma::checkout {

namespace {

constexpr std::int64_t kSpendWindowMonths = 12;

}  // namespace

StoreTime store_time_at(std::int64_t now_ms, int utc_offset_minutes) {
  StoreTime t;
  t.now_ms = now_ms;
  t.local_date = loyalty::local_date_at(now_ms, utc_offset_minutes);
  t.local_day_start_ms = loyalty::local_day_start_ms(t.local_date, utc_offset_minutes);
  // Months counted as HQ files spend (pma.v1.SpendMonth: UTC calendar months), so the till's
  // window turns when HQ's does, not at store-local midnight.
  const loyalty::LocalDate utc_date = loyalty::local_date_at(now_ms, 0);
  const std::int64_t month =
      (static_cast<std::int64_t>(utc_date.year) - 1970) * 12 + utc_date.month - 1;
  t.spend_window_first_month = month - (kSpendWindowMonths - 1);
  const std::int64_t years = t.spend_window_first_month >= 0
                                 ? t.spend_window_first_month / 12
                                 : (t.spend_window_first_month - 11) / 12;  // floor
  const loyalty::LocalDate first{
      .year = static_cast<int>(1970 + years),
      .month = static_cast<int>(t.spend_window_first_month - years * 12) + 1,
      .day = 1};
  t.spend_window_start_ms = loyalty::local_day_start_ms(first, 0);
  return t;
}

StoreTime SystemClock::now() const {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return store_time_at(ms, offset_);
}

}  // namespace pma::checkout
