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

TEST_CASE("Store-local dates follow the UTC offset", "[proto][calendar]") {
  // 2026-03-07T16:30Z is 8 March 00:30 in Shanghai (UTC+8): a member day there.
  std::int64_t t = 1'772'901'000'000;
  auto utc = pma::local_date_at(t, 0);
  auto cst = pma::local_date_at(t, 480);
  CHECK((utc.month == 3 && utc.day == 7));
  CHECK((cst.month == 3 && cst.day == 8));
  CHECK(pma::local_day_start_ms(cst, 480) == 1'772'899'200'000);
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
  CHECK(pma::local_date_at(t, 480).month == 6);
  CHECK(pma::first_window_month(t) == pma::utc_month_index(utc_ms(2025, 6, 1)));
  CHECK(pma::first_window_month(utc_ms(2026, 6, 1)) == pma::utc_month_index(utc_ms(2025, 7, 1)));
}
