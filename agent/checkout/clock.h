// The store's notion of now: the UTC instant from the injected wall clock (pma/clock.h) plus
// the store-local date in the store's time zone (member days, birthdays, offline daily
// limits). Thread-safe if the wall clock is (every pma::Clock is).
#pragma once

#include <cstdint>

#include "pma/calendar.h"
#include "pma/clock.h"

namespace pma::checkout {

struct StoreTime {
  std::int64_t now_ms = 0;  // UTC, milliseconds since the epoch
  LocalDate local_date;
  std::int64_t local_day_start_ms = 0;  // UTC instant where the store-local day began
  // The rolling 12-month spend window (the UTC month of now and the 11 before it, as HQ files
  // spend): its oldest month, in months since January 1970, and the instant that month began.
  std::int64_t spend_window_first_month = 0;
  std::int64_t spend_window_start_ms = 0;
};

// The StoreTime of a UTC instant in the store's zone.
StoreTime store_time_at(std::int64_t now_ms, const StoreZone& zone);

// The wall clock read in the store's zone. Borrows the clock, which must outlive it.
class StoreClock {
 public:
  StoreClock(const pma::Clock& wall, StoreZone zone) : wall_(wall), zone_(zone) {}
  StoreTime now() const { return store_time_at(wall_.now_ms(), zone_); }
  const StoreZone& zone() const { return zone_; }
  const pma::Clock& wall() const { return wall_; }

 private:
  const pma::Clock& wall_;
  StoreZone zone_;
};

}  // namespace pma::checkout
