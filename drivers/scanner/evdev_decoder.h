// EvdevDecoder: turns a keyboard-wedge scanner's evdev key events (struct input_event) into the
// characters it typed, through a configured KeyboardLayout (Shift, Caps Lock, keypad, Ctrl).
// Pure: no I/O, no clock reads. Not thread-safe.
#pragma once

#include <linux/input.h>

#include <cstdint>
#include <span>
#include <string>

#include "drivers/scanner/keyboard_layout.h"

namespace pma::scanner {

struct EvdevDecoderStats {
  std::uint64_t key_presses = 0;    // key-down events seen
  std::uint64_t unmapped_keys = 0;  // key-downs with no character in the layout
  std::uint64_t drops = 0;          // SYN_DROPPED: the kernel's buffer overflowed
};

// What decoding a run of events produced. When `discard_partial` is set, the kernel dropped
// events: the code being typed before the drop is incomplete and must be thrown away (see
// Framer::discard_partial); `text` then holds only what was typed after the drop.
struct DecodedText {
  std::string text;
  bool discard_partial = false;
};

class EvdevDecoder {
 public:
  explicit EvdevDecoder(KeyboardLayout layout = KeyboardLayout::us());

  // Decodes `events` in order. Enter and keypad Enter give '\r', Tab gives '\t' (the Framer's
  // terminators). Autorepeat (value 2) is ignored: a scanner never holds a key.
  DecodedText decode(std::span<const input_event> events);
  // Decodes one event into `out`.
  void decode(const input_event& event, DecodedText& out);

  // Forgets modifier state (after reopening the device).
  void reset();
  const EvdevDecoderStats& stats() const { return stats_; }

 private:
  KeyboardLayout layout_;
  EvdevDecoderStats stats_;
  bool left_shift_ = false;
  bool right_shift_ = false;
  bool left_ctrl_ = false;
  bool right_ctrl_ = false;
  bool caps_lock_ = false;
  bool dropping_ = false;  // after SYN_DROPPED, until the next SYN_REPORT
};

}  // namespace pma::scanner
