// Helpers for the scanner tests: run an io_context until something happened (generous
// deadline; tests never assert on speed), and recorded evdev events.
#pragma once

#include <linux/input.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace pma::scanner::test {

// Runs `io` until `done()` is true or `deadline` passes; returns done().
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!done() && std::chrono::steady_clock::now() < end) {
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
  return done();
}

inline input_event key(unsigned short code, int value) {
  input_event event{};
  event.type = EV_KEY;
  event.code = code;
  event.value = value;
  return event;
}

inline input_event syn(unsigned short code = SYN_REPORT) {
  input_event event{};
  event.type = EV_SYN;
  event.code = code;
  return event;
}

// A key tap as a scanner sends it: down, SYN, up, SYN (with MSC_SCAN events left out).
inline void tap(std::vector<input_event>& events, unsigned short code, bool shift = false) {
  if (shift) events.insert(events.end(), {key(KEY_LEFTSHIFT, 1), syn()});
  events.insert(events.end(), {key(code, 1), syn(), key(code, 0), syn()});
  if (shift) events.insert(events.end(), {key(KEY_LEFTSHIFT, 0), syn()});
}

// The events a US-layout wedge scanner sends for `text` (digits, letters, '-', '\r').
inline std::vector<input_event> type_text(const std::string& text) {
  static const std::string row_digits = "1234567890";
  std::vector<input_event> events;
  for (char c : text) {
    if (c >= '1' && c <= '9') {
      tap(events, static_cast<unsigned short>(KEY_1 + (c - '1')));
    } else if (c == '0') {
      tap(events, KEY_0);
    } else if (c == '-') {
      tap(events, KEY_MINUS);
    } else if (c == '\r') {
      tap(events, KEY_ENTER);
    } else {
      static const unsigned short letters[26] = {KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G,
                                                 KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M, KEY_N,
                                                 KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U,
                                                 KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z};
      bool upper = c >= 'A' && c <= 'Z';
      tap(events, letters[upper ? c - 'A' : c - 'a'], upper);
    }
  }
  return events;
}

}  // namespace pma::scanner::test
