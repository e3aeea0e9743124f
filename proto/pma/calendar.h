// The calendar rules the till and HQ must compute identically: the UTC month index HQ files
// spend under (pma.v1.SpendMonth.month) and the rolling 12-month window over it, and the
// store-local date (member days, birthdays, offline daily limits) in the store's time zone, an
// IANA zone read from the system's tz database (Debian's tzdata, through Howard Hinnant's
// date/tz.h, so daylight saving time is followed). Pure functions and immutable values;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pma/error.h"

namespace date {
class time_zone;
}

namespace pma {

// A store-local calendar date (the caller converts UTC to the store's time zone).
struct LocalDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

// The store's time zone: an IANA zone ("Asia/Shanghai", "Europe/Berlin") or, for the
// deprecated store.utc_offset_minutes, a fixed offset. A small value; copy it freely.
class StoreZone {
 public:
  // UTC.
  StoreZone() = default;
  // The zone of that name in the system's tz database (/usr/share/zoneinfo). Errors:
  // "unknown_time_zone" (no such zone, or no tz database), naming the zone.
  static Result<StoreZone> named(std::string_view iana_name);
  // A fixed offset, minutes east of UTC (480 = UTC+8), no daylight saving time.
  static StoreZone fixed_offset(int utc_offset_minutes);

  // The store-local wall time of a UTC instant, in ms since 1970-01-01 00:00 local.
  std::int64_t local_ms_at(std::int64_t utc_ms) const;
  // The store-local date of a UTC instant.
  LocalDate local_date_at(std::int64_t utc_ms) const;
  // The UTC instant (ms) at which the store-local date begins (where a daylight-saving jump
  // skips local midnight, the first instant of that date).
  std::int64_t local_day_start_ms(const LocalDate& date) const;
  // "Asia/Shanghai", or "UTC+08:00" for a fixed offset.
  std::string name() const;

 private:
  const date::time_zone* zone_ = nullptr;  // owned by the tz database (lives until exit)
  int offset_minutes_ = 0;                 // used when zone_ is null
};

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
