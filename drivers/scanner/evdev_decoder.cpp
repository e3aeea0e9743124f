#include "drivers/scanner/evdev_decoder.h"

namespace pma::scanner {

namespace {
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
}  // namespace

EvdevDecoder::EvdevDecoder(KeyboardLayout layout) : layout_(layout) {}

void EvdevDecoder::reset() {
  left_shift_ = right_shift_ = left_ctrl_ = right_ctrl_ = caps_lock_ = false;
  dropping_ = false;
}

DecodedText EvdevDecoder::decode(std::span<const input_event> events) {
  DecodedText out;
  for (const auto& event : events) decode(event, out);
  return out;
}

void EvdevDecoder::decode(const input_event& event, DecodedText& out) {
  if (event.type == EV_SYN) {
    if (event.code == SYN_DROPPED) {
      ++stats_.drops;
      // Everything up to the next SYN_REPORT is unreliable, and so is the code in progress.
      // Modifiers are re-learnt from the next presses; a scanner releases them between keys.
      out.text.clear();
      out.discard_partial = true;
      dropping_ = true;
      left_shift_ = right_shift_ = left_ctrl_ = right_ctrl_ = false;
    } else if (event.code == SYN_REPORT) {
      dropping_ = false;
    }
    return;
  }
  if (dropping_ || event.type != EV_KEY) return;
  const bool down = event.value == 1;
  const bool up = event.value == 0;
  if (!down && !up) return;  // autorepeat
  switch (event.code) {
    case KEY_LEFTSHIFT:
      left_shift_ = down;
      return;
    case KEY_RIGHTSHIFT:
      right_shift_ = down;
      return;
    case KEY_LEFTCTRL:
      left_ctrl_ = down;
      return;
    case KEY_RIGHTCTRL:
      right_ctrl_ = down;
      return;
    case KEY_CAPSLOCK:
      if (down) caps_lock_ = !caps_lock_;
      return;
    default:
      break;
  }
  if (!down) return;
  ++stats_.key_presses;
  auto mapping = layout_.lookup(event.code);
  if (!mapping) {
    ++stats_.unmapped_keys;
    return;
  }
  char c = mapping->plain;
  if (!mapping->keypad) {
    bool shift = left_shift_ || right_shift_;
    if (is_lower(mapping->plain) && caps_lock_) shift = !shift;
    c = shift ? mapping->shifted : mapping->plain;
  }
  // Ctrl+letter is how wedge scanners type control characters (e.g. GS in GS1 codes).
  if ((left_ctrl_ || right_ctrl_) && ((c >= '@' && c <= '_') || (c >= 'a' && c <= 'z'))) {
    c = static_cast<char>(c & 0x1f);
  }
  out.text.push_back(c);
}

}  // namespace pma::scanner
