// The store's notion of now: the UTC instant plus the store-local date (member days, birthdays,
// offline daily limits). Injected into CheckoutService so tests control time.
// Implementations must be safe to call from the thread that owns the CheckoutService.
#pragma once

#include <atomic>
#include <cstdint>

#include "pma/calendar.h"

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

// The StoreTime of a UTC instant at a fixed UTC offset (minutes east of UTC).
StoreTime store_time_at(std::int64_t now_ms, int utc_offset_minutes);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual StoreTime now() const = 0;
};

// Reads the system clock. GCC 12 has no IANA tz database in std::chrono, so the configured zone
// is given as its UTC offset (China has no daylight saving time: +480 for Asia/Shanghai).
class SystemClock : public Clock {
 public:
  explicit SystemClock(int utc_offset_minutes) : offset_(utc_offset_minutes) {}
  StoreTime now() const override;

 private:
  int offset_;
};

// A clock the test moves by hand. Thread-safe.
class ManualClock : public Clock {
 public:
  explicit ManualClock(std::int64_t now_ms, int utc_offset_minutes = 480)
      : now_ms_(now_ms), offset_(utc_offset_minutes) {}
  void set(std::int64_t now_ms) { now_ms_ = now_ms; }
  void advance(std::int64_t ms) { now_ms_ += ms; }
  StoreTime now() const override { return store_time_at(now_ms_, offset_); }

 private:
  std::atomic<std::int64_t> now_ms_;
  int offset_;
};

}  // namespace pma::checkout
