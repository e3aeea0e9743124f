// Rate limit for log lines that can repeat without bound (a failing accept, refused
// connections): per key, at most `burst` lines per `window`; the rest are counted and the next
// line that passes reports how many were dropped. Pure (time comes in as a parameter);
// header-only; not thread-safe: one owner (e.g. the io_context thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace pma::log {

class RepeatLimiter {
 public:
  // Monotonic, not wall time (pma::Clock): a window is an interval on this machine and must
  // not stretch or vanish when the system clock is set.
  using Clock = std::chrono::steady_clock;

  struct Decision {
    bool log = false;              // write this line
    std::uint64_t suppressed = 0;  // lines of this key dropped since the last one written
  };

  RepeatLimiter(std::uint32_t burst = 5, Clock::duration window = std::chrono::seconds(10))
      : burst_(burst), window_(window) {}

  // Decides for one line of `key` at `now`. Keys are few and fixed ("accept", "refused"), so
  // the map stays small.
  Decision admit(std::string_view key, Clock::time_point now) {
    auto it = keys_.find(key);
    if (it == keys_.end()) it = keys_.emplace(std::string(key), State{}).first;
    State& state = it->second;
    if (state.lines == 0 || now - state.window_start >= window_) {
      state.window_start = now;
      state.lines = 0;
    }
    if (state.lines >= burst_) {
      ++state.suppressed;
      return {};
    }
    ++state.lines;
    Decision decision{true, state.suppressed};
    state.suppressed = 0;
    return decision;
  }

  // Lines of `key` dropped and not yet reported.
  std::uint64_t suppressed(std::string_view key) const {
    auto it = keys_.find(key);
    return it == keys_.end() ? 0 : it->second.suppressed;
  }

 private:
  struct State {
    Clock::time_point window_start{};
    std::uint32_t lines = 0;
    std::uint64_t suppressed = 0;
  };
  std::uint32_t burst_;
  Clock::duration window_;
  std::map<std::string, State, std::less<>> keys_;
};

}  // namespace pma::log
