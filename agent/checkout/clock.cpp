#include "agent/checkout/clock.h"

namespace pma::checkout {

StoreTime store_time_at(std::int64_t now_ms, const StoreZone& zone) {
  StoreTime t;
  t.now_ms = now_ms;
  t.local_date = zone.local_date_at(now_ms);
  t.local_day_start_ms = zone.local_day_start_ms(t.local_date);
  // Months counted as HQ files spend (pma/calendar.h, the rule HQ uses), so the till's window
  // turns when HQ's does, not at store-local midnight.
  t.spend_window_first_month = first_window_month(now_ms);
  t.spend_window_start_ms = utc_month_start_ms(t.spend_window_first_month);
  return t;
}

}  // namespace pma::checkout
