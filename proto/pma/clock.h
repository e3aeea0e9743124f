// The wall clock every module reads time through: UTC milliseconds since the epoch, injected
// (agent/checkout's StoreClock adds the store-local view). Only main constructs a SystemClock;
// tests move a ManualClock by hand, so no test sleeps for time to pass.
// Implementations are safe to call from any thread.
//
// Monotonic timers (Asio deadlines, idle and rate-limit windows, durations) keep
// std::chrono::steady_clock: they measure intervals on this machine and must not jump when the
// wall clock is set, so they are not wall time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace pma {

class Clock {
 public:
  virtual ~Clock() = default;
  // UTC, milliseconds since 1970-01-01T00:00Z.
  virtual std::int64_t now_ms() const = 0;
  // The same in whole seconds (created_at / printed_at columns, ages).
  std::int64_t now_s() const { return now_ms() / 1000; }
};

// The system's wall clock (std::chrono::system_clock).
class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock the test moves by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t now_ms = 0) : now_ms_(now_ms) {}
  void set(std::int64_t now_ms) { now_ms_ = now_ms; }
  void advance(std::int64_t ms) { now_ms_ += ms; }
  std::int64_t now_ms() const override { return now_ms_; }

 private:
  std::atomic<std::int64_t> now_ms_;
};

}  // namespace pma
