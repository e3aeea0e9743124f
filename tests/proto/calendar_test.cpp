#include "pma/calendar.h"

#include <catch2/catch.hpp>
#include <chrono>

namespace {

std::int64_t utc_ms(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return duration_cast<milliseconds>(sys_days(year(y) / month(m) / day(d)).time_since_epoch())
      .count();
}

}  // namespace

pma::StoreZone zone(const char* name) {
  auto z = pma::StoreZone::named(name);
  REQUIRE(z);
  return *z;
}

TEST_CASE("Store-local dates follow the store's zone", "[proto][calendar]") {
  // 2026-03-07T16:30Z is 8 March 00:30 in Shanghai (UTC+8): a member day there.
  std::int64_t t = 1'772'901'000'000;
  auto utc = pma::StoreZone().local_date_at(t);
  auto cst = zone("Asia/Shanghai").local_date_at(t);
  CHECK((utc.month == 3 && utc.day == 7));
  CHECK((cst.month == 3 && cst.day == 8));
  CHECK(zone("Asia/Shanghai").local_day_start_ms(cst) == 1'772'899'200'000);
}

TEST_CASE("Asia/Shanghai gives the dates the old fixed +480 offset gave", "[proto][calendar]") {
  const pma::StoreZone shanghai = zone("Asia/Shanghai");
  const pma::StoreZone plus480 = pma::StoreZone::fixed_offset(480);
  CHECK(shanghai.name() == "Asia/Shanghai");
  CHECK(plus480.name() == "UTC+08:00");
  // Every 7 hours 13 minutes from 2000 to 2040 (China has had no daylight saving since 1991).
  for (std::int64_t t = utc_ms(2000, 1, 1); t < utc_ms(2040, 1, 1); t += 26'000'000) {
    INFO(t);
    const pma::LocalDate a = shanghai.local_date_at(t);
    const pma::LocalDate b = plus480.local_date_at(t);
    REQUIRE((a.year == b.year && a.month == b.month && a.day == b.day));
    REQUIRE(shanghai.local_ms_at(t) == plus480.local_ms_at(t));
    REQUIRE(shanghai.local_day_start_ms(a) == plus480.local_day_start_ms(b));
  }
}

TEST_CASE("A daylight-saving zone dates instants by its summer and winter offsets",
          "[proto][calendar]") {
  const pma::StoreZone new_york = zone("America/New_York");
  // Clocks went forward on 2026-03-08 at 02:00 EST (07:00Z): UTC-5 before, UTC-4 after.
  // 2026-03-08T04:30Z is 23:30 EST on 7 March; 2026-03-09T04:30Z is 00:30 EDT on 9 March,
  // which a fixed UTC-5 would still date the 8th.
  const auto before = new_york.local_date_at(utc_ms(2026, 3, 8) + 4 * 3'600'000 + 1'800'000);
  CHECK((before.month == 3 && before.day == 7));
  const std::int64_t after_jump = utc_ms(2026, 3, 9) + 4 * 3'600'000 + 1'800'000;
  const auto after = new_york.local_date_at(after_jump);
  CHECK((after.month == 3 && after.day == 9));
  CHECK(pma::StoreZone::fixed_offset(-300).local_date_at(after_jump).day == 8);
  // The day of the jump is 23 hours long; the days around it start at local midnight.
  const std::int64_t march8 = new_york.local_day_start_ms({2026, 3, 8});
  const std::int64_t march9 = new_york.local_day_start_ms({2026, 3, 9});
  CHECK(march8 == utc_ms(2026, 3, 8) + 5 * 3'600'000);
  CHECK(march9 == utc_ms(2026, 3, 9) + 4 * 3'600'000);
  CHECK(march9 - march8 == 23 * 3'600'000);
  // And back on 2026-11-01 at 02:00 EDT (06:00Z): a 25-hour day.
  const std::int64_t nov1 = new_york.local_day_start_ms({2026, 11, 1});
  const std::int64_t nov2 = new_york.local_day_start_ms({2026, 11, 2});
  CHECK(nov2 - nov1 == 25 * 3'600'000);
  const auto late = new_york.local_date_at(nov2 - 1);
  CHECK((late.month == 11 && late.day == 1));
  CHECK(new_york.local_date_at(nov2).day == 2);
}

TEST_CASE("Berlin's member day begins at its own midnight in summer and in winter",
          "[proto][calendar]") {
  const pma::StoreZone berlin = zone("Europe/Berlin");
  // 2026-03-29: CET (UTC+1) until 01:00Z, CEST (UTC+2) after.
  CHECK(berlin.local_day_start_ms({2026, 3, 29}) == utc_ms(2026, 3, 28) + 23 * 3'600'000);
  CHECK(berlin.local_day_start_ms({2026, 3, 30}) == utc_ms(2026, 3, 29) + 22 * 3'600'000);
  // 22:30Z on 29 March is already 00:30 on the 30th in Berlin (UTC+2), not 23:30.
  CHECK(berlin.local_date_at(utc_ms(2026, 3, 29) + 22 * 3'600'000 + 1'800'000).day == 30);
  CHECK(berlin.local_date_at(utc_ms(2026, 1, 15) + 22 * 3'600'000 + 1'800'000).day == 15);
}

TEST_CASE("A zone missing from the tz database is refused by name", "[proto][calendar]") {
  auto unknown = pma::StoreZone::named("Mars/Olympus_Mons");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == "unknown_time_zone");
  CHECK(unknown.error().message.find("'Mars/Olympus_Mons'") != std::string::npos);
  CHECK_FALSE(pma::StoreZone::named(""));
}

TEST_CASE("Month indexes count UTC calendar months from January 1970", "[proto][calendar]") {
  CHECK(pma::utc_month_index(0) == 0);
  CHECK(pma::utc_month_index(-1) == -1);
  CHECK(pma::utc_month_index(utc_ms(1970, 2, 1)) == 1);
  CHECK(pma::utc_month_index(utc_ms(2026, 5, 31) + 86'399'999) == 56 * 12 + 4);
  CHECK(pma::first_window_month(utc_ms(2026, 5, 28)) == pma::utc_month_index(utc_ms(2025, 6, 1)));
}

TEST_CASE("A month index begins at its first UTC midnight, before 1970 too", "[proto][calendar]") {
  CHECK(pma::utc_month_start_ms(0) == 0);
  CHECK(pma::utc_month_start_ms(-1) == utc_ms(1969, 12, 1));
  CHECK(pma::utc_month_start_ms(-13) == utc_ms(1968, 12, 1));
  CHECK(pma::utc_month_start_ms(56 * 12 + 4) == utc_ms(2026, 5, 1));
  for (std::int64_t m = -30; m <= 700; m += 7) {
    INFO(m);
    const std::int64_t start = pma::utc_month_start_ms(m);
    CHECK(pma::utc_month_index(start) == m);
    CHECK(pma::utc_month_index(start - 1) == m - 1);
  }
}

TEST_CASE("The spend window turns at UTC midnight, not store-local midnight", "[proto][calendar]") {
  // 2026-05-31T20:00Z is already 1 June in Shanghai; HQ still files the spend under May.
  const std::int64_t t = utc_ms(2026, 5, 31) + 20 * 3'600'000;
  CHECK(zone("Asia/Shanghai").local_date_at(t).month == 6);
  CHECK(pma::first_window_month(t) == pma::utc_month_index(utc_ms(2025, 6, 1)));
  CHECK(pma::first_window_month(utc_ms(2026, 6, 1)) == pma::utc_month_index(utc_ms(2025, 7, 1)));
}
