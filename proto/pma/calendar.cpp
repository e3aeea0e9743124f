#include "pma/calendar.h"

#include <date/tz.h>
#include <fmt/format.h>

#include <chrono>
#include <exception>

namespace pma {

namespace {

constexpr std::int64_t kMsPerMinute = 60'000;

using Ms = std::chrono::milliseconds;

LocalDate date_of(std::int64_t local_ms) {
  using namespace std::chrono;
  const year_month_day ymd{floor<days>(sys_time<milliseconds>{milliseconds(local_ms)})};
  return LocalDate{static_cast<int>(ymd.year()), static_cast<int>(unsigned(ymd.month())),
                   static_cast<int>(unsigned(ymd.day()))};
}

// Local midnight of the date, counted as if local time were UTC (ms since 1970-01-01 local).
std::int64_t midnight_ms(const LocalDate& date) {
  using namespace std::chrono;
  const sys_days day{year{date.year} / month{static_cast<unsigned>(date.month)} /
                     std::chrono::day{static_cast<unsigned>(date.day)}};
  return duration_cast<milliseconds>(day.time_since_epoch()).count();
}

}  // namespace

Result<StoreZone> StoreZone::named(std::string_view iana_name) {
  StoreZone zone;
  try {
    // Built with USE_OS_TZDB (Debian's libdate-tz): the zone is read from /usr/share/zoneinfo,
    // which tzdata keeps current; nothing is downloaded.
    zone.zone_ = date::locate_zone(iana_name);
  } catch (const std::exception& e) {
    return fail("unknown_time_zone",
                fmt::format("'{}' is not a time zone in the IANA tz database (/usr/share/zoneinfo: "
                            "{})",
                            iana_name, e.what()));
  }
  return zone;
}

StoreZone StoreZone::fixed_offset(int utc_offset_minutes) {
  StoreZone zone;
  zone.offset_minutes_ = utc_offset_minutes;
  return zone;
}

std::int64_t StoreZone::local_ms_at(std::int64_t utc_ms) const {
  if (zone_ == nullptr) return utc_ms + offset_minutes_ * kMsPerMinute;
  const date::sys_time<Ms> utc{Ms(utc_ms)};
  return zone_->to_local(utc).time_since_epoch().count();
}

LocalDate StoreZone::local_date_at(std::int64_t utc_ms) const {
  return date_of(local_ms_at(utc_ms));
}

std::int64_t StoreZone::local_day_start_ms(const LocalDate& date) const {
  const std::int64_t midnight = midnight_ms(date);
  if (zone_ == nullptr) return midnight - offset_minutes_ * kMsPerMinute;
  // A skipped midnight (a spring-forward jump at 00:00) maps to the jump, the first instant the
  // date exists; a repeated one to its earlier occurrence.
  const date::local_time<Ms> local{Ms(midnight)};
  return zone_->to_sys(local, date::choose::earliest).time_since_epoch().count();
}

std::string StoreZone::name() const {
  if (zone_ != nullptr) return std::string(zone_->name());
  const int magnitude = offset_minutes_ < 0 ? -offset_minutes_ : offset_minutes_;
  return fmt::format("UTC{}{:02}:{:02}", offset_minutes_ < 0 ? '-' : '+', magnitude / 60,
                     magnitude % 60);
}

std::int64_t utc_month_index(std::int64_t utc_ms) {
  const LocalDate date = date_of(utc_ms);
  return (static_cast<std::int64_t>(date.year) - 1970) * 12 + date.month - 1;
}

std::int64_t utc_month_start_ms(std::int64_t month_index) {
  // Floor division: month -1 is December 1969.
  const std::int64_t years = month_index >= 0 ? month_index / 12 : (month_index - 11) / 12;
  const LocalDate first{.year = static_cast<int>(1970 + years),
                        .month = static_cast<int>(month_index - years * 12) + 1,
                        .day = 1};
  return midnight_ms(first);
}

std::int64_t first_window_month(std::int64_t now_ms) {
  return utc_month_index(now_ms) - (kSpendWindowMonths - 1);
}

}  // namespace pma
