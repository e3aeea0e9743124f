#include "checkout/clock.h"

#include <chrono>

namespace pma::checkout {

StoreTime store_time_at(std::int64_t now_ms, int utc_offset_minutes) {
  StoreTime t;
  t.now_ms = now_ms;
  t.local_date = loyalty::local_date_at(now_ms, utc_offset_minutes);
  t.local_day_start_ms = loyalty::local_day_start_ms(t.local_date, utc_offset_minutes);
  return t;
}

StoreTime SystemClock::now() const {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return store_time_at(ms, offset_);
}

}  // namespace pma::checkout
