#include "drivers/scanner/evdev_decoder.h"

#include <catch2/catch.hpp>

#include "tests/scanner/scanner_test_util.h"

using pma::scanner::EvdevDecoder;
using pma::scanner::KeyboardLayout;
using pma::scanner::test::key;
using pma::scanner::test::syn;
using pma::scanner::test::tap;
using pma::scanner::test::type_text;

TEST_CASE("Evdev decoder types digits, letters and Enter through the US layout", "[scanner][hid]") {
  EvdevDecoder decoder;
  auto out = decoder.decode(type_text("6901234ab\r"));
  CHECK(out.text == "6901234ab\r");
  CHECK_FALSE(out.discard_partial);
}

TEST_CASE("Evdev decoder applies Shift, Caps Lock and ignores autorepeat", "[scanner][hid]") {
  EvdevDecoder decoder;
  std::vector<input_event> events;
  tap(events, KEY_A, true);      // 'A'
  tap(events, KEY_1, true);      // '!'
  tap(events, KEY_SLASH, true);  // '?'
  tap(events, KEY_CAPSLOCK);     // caps on
  tap(events, KEY_B);            // 'B'
  tap(events, KEY_B, true);      // 'b' (shift undoes caps for letters)
  tap(events, KEY_2);            // '2' (caps does not touch digits)
  tap(events, KEY_CAPSLOCK);     // caps off
  events.push_back(key(KEY_C, 1));
  events.push_back(key(KEY_C, 2));  // autorepeat: ignored
  events.push_back(key(KEY_C, 0));
  events.push_back(key(KEY_RIGHTSHIFT, 1));
  events.push_back(key(KEY_APOSTROPHE, 1));
  events.push_back(key(KEY_APOSTROPHE, 0));
  events.push_back(key(KEY_RIGHTSHIFT, 0));
  CHECK(decoder.decode(events).text == "A!?Bb2c\"");
}

TEST_CASE("Evdev decoder reads keypad keys regardless of Shift", "[scanner][hid]") {
  EvdevDecoder decoder;
  std::vector<input_event> events;
  for (unsigned short code : {KEY_KP6, KEY_KP9, KEY_KP0, KEY_KPDOT, KEY_KPMINUS, KEY_KPPLUS,
                              KEY_KPASTERISK, KEY_KPSLASH}) {
    tap(events, code, code == KEY_KP9);
  }
  tap(events, KEY_KPENTER);
  CHECK(decoder.decode(events).text == "690.-+*/\r");
}

TEST_CASE("Evdev decoder turns Ctrl+letter into a control character", "[scanner][hid]") {
  EvdevDecoder decoder;
  std::vector<input_event> events = {key(KEY_LEFTCTRL, 1), key(KEY_RIGHTBRACE, 1),
                                     key(KEY_RIGHTBRACE, 0), key(KEY_LEFTCTRL, 0)};
  CHECK(decoder.decode(events).text == "\x1d");  // GS, the GS1 separator
}

TEST_CASE("Evdev decoder discards the partial code on SYN_DROPPED", "[scanner][hid]") {
  EvdevDecoder decoder;
  auto events = type_text("123");
  events.push_back(key(KEY_LEFTSHIFT, 1));
  events.push_back(syn(SYN_DROPPED));
  // Until the next SYN_REPORT the events are unreliable and are skipped.
  events.push_back(key(KEY_4, 1));
  events.push_back(syn());
  auto after = type_text("99\r");
  events.insert(events.end(), after.begin(), after.end());
  auto out = decoder.decode(events);
  CHECK(out.discard_partial);
  CHECK(out.text == "99\r");  // and Shift, held when the drop happened, is released
  CHECK(decoder.stats().drops == 1);
}

TEST_CASE("Evdev decoder uses the configured layout, not the host's", "[scanner][hid]") {
  KeyboardLayout layout = KeyboardLayout::us();
  // An AZERTY-style top row: the key in the '1' position types '&' and '1' with Shift.
  layout.set(KEY_1, {'&', '1', false});
  layout.set(KEY_Q, {'a', 'A', false});
  EvdevDecoder decoder(layout);
  std::vector<input_event> events;
  tap(events, KEY_1);
  tap(events, KEY_1, true);
  tap(events, KEY_Q);
  tap(events, KEY_F5);  // unmapped: counted, no character
  CHECK(decoder.decode(events).text == "&1a");
  CHECK(decoder.stats().unmapped_keys == 1);
  CHECK(KeyboardLayout::named("us").has_value());
  CHECK(KeyboardLayout::named("klingon").error().code == "invalid_layout");
}
