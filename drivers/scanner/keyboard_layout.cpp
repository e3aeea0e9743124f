#include "drivers/scanner/keyboard_layout.h"

#include <fmt/format.h>
#include <linux/input-event-codes.h>

#include <string_view>

namespace pma::scanner {

namespace {

// Fills consecutive keycodes starting at `first` from two parallel strings.
void set_row(KeyboardLayout& layout, std::uint16_t first, std::string_view plain,
             std::string_view shifted) {
  for (std::size_t i = 0; i < plain.size(); ++i) {
    layout.set(static_cast<std::uint16_t>(first + i), KeyMapping{plain[i], shifted[i], false});
  }
}

}  // namespace

KeyboardLayout KeyboardLayout::us() {
  KeyboardLayout layout;
  set_row(layout, KEY_1, "1234567890-=", "!@#$%^&*()_+");
  set_row(layout, KEY_Q, "qwertyuiop[]", "QWERTYUIOP{}");
  set_row(layout, KEY_A, "asdfghjkl;'`", "ASDFGHJKL:\"~");
  set_row(layout, KEY_BACKSLASH, "\\zxcvbnm,./", "|ZXCVBNM<>?");
  layout.set(KEY_SPACE, {' ', ' ', false});
  layout.set(KEY_ENTER, {'\r', '\r', false});
  layout.set(KEY_TAB, {'\t', '\t', false});
  layout.set(KEY_KPENTER, {'\r', '\r', true});
  layout.set(KEY_KP0, {'0', '0', true});
  layout.set(KEY_KP1, {'1', '1', true});
  layout.set(KEY_KP2, {'2', '2', true});
  layout.set(KEY_KP3, {'3', '3', true});
  layout.set(KEY_KP4, {'4', '4', true});
  layout.set(KEY_KP5, {'5', '5', true});
  layout.set(KEY_KP6, {'6', '6', true});
  layout.set(KEY_KP7, {'7', '7', true});
  layout.set(KEY_KP8, {'8', '8', true});
  layout.set(KEY_KP9, {'9', '9', true});
  layout.set(KEY_KPDOT, {'.', '.', true});
  layout.set(KEY_KPSLASH, {'/', '/', true});
  layout.set(KEY_KPASTERISK, {'*', '*', true});
  layout.set(KEY_KPMINUS, {'-', '-', true});
  layout.set(KEY_KPPLUS, {'+', '+', true});
  layout.set(KEY_KPEQUAL, {'=', '=', true});
  return layout;
}

Result<KeyboardLayout> KeyboardLayout::named(std::string_view name) {
  if (name == "us") return us();
  return fail("invalid_layout", fmt::format("layout '{}' is not known (known: us)", name));
}

void KeyboardLayout::set(std::uint16_t keycode, KeyMapping mapping) {
  if (keycode < kKeyCount) keys_[keycode] = mapping;
}

std::optional<KeyMapping> KeyboardLayout::lookup(std::uint16_t keycode) const {
  if (keycode >= kKeyCount || keys_[keycode].plain == 0) return std::nullopt;
  return keys_[keycode];
}

}  // namespace pma::scanner
