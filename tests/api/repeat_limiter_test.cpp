#include "agent/log/repeat_limiter.h"

#include <catch2/catch.hpp>

using pma::log::RepeatLimiter;
using namespace std::chrono_literals;

TEST_CASE("A repeated log line passes a few times per window, then reports what it dropped",
          "[log]") {
  RepeatLimiter limiter(3, 10s);
  RepeatLimiter::Clock::time_point t0{};
  for (int i = 0; i < 3; ++i) {
    auto d = limiter.admit("accept", t0 + std::chrono::milliseconds(i));
    CHECK(d.log);
    CHECK(d.suppressed == 0);
  }
  for (int i = 0; i < 1000; ++i) CHECK_FALSE(limiter.admit("accept", t0 + 1s).log);
  CHECK(limiter.suppressed("accept") == 1000);
  // Another key has its own budget.
  CHECK(limiter.admit("refused", t0 + 1s).log);
  // After the window, the next line passes and carries the count.
  auto next = limiter.admit("accept", t0 + 11s);
  CHECK(next.log);
  CHECK(next.suppressed == 1000);
  CHECK(limiter.suppressed("accept") == 0);
}
