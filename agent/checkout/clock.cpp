#include "checkout/clock.h"

#include <chrono>

namespace pma::checkout {

StoreTime store_time_at(std::int64_t now_ms, int utc_offset_minutes) {
  StoreTime t;
  t.now_ms = now_ms;
  t.local_date = local_date_at(now_ms, utc_offset_minutes);
  t.local_day_start_ms = local_day_start_ms(t.local_date, utc_offset_minutes);
  // Months counted as HQ files spend (pma/calendar.h, the rule HQ uses), so the till's window
  // turns when HQ's does, not at store-local midnight.
  t.spend_window_first_month = first_window_month(now_ms);
  t.spend_window_start_ms = utc_month_start_ms(t.spend_window_first_month);
  return t;
}

StoreTime SystemClock::now() const {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return store_time_at(ms, offset_);
}

}  // namespace pma::checkout
