// KeyboardLayout: a table from Linux keycodes to the characters a keyboard-wedge scanner means
// (plain and shifted), so decoding never depends on the host's keyboard layout.
// A plain value type; thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "pma/error.h"

namespace pma::scanner {

struct KeyMapping {
  char plain = 0;
  char shifted = 0;
  bool keypad = false;  // keypad keys ignore Shift and Caps Lock
};

class KeyboardLayout {
 public:
  static constexpr std::size_t kKeyCount = 256;

  // An empty layout (every key unmapped).
  KeyboardLayout() = default;
  // The US layout, plus the keypad; the default for scanners.
  static KeyboardLayout us();
  // A layout by its config name (scanner.layout): "us". Error "invalid_layout" otherwise.
  static Result<KeyboardLayout> named(std::string_view name);

  // Maps `keycode` (KEY_* from <linux/input-event-codes.h>); keycodes >= kKeyCount are ignored.
  void set(std::uint16_t keycode, KeyMapping mapping);
  std::optional<KeyMapping> lookup(std::uint16_t keycode) const;

 private:
  std::array<KeyMapping, kKeyCount> keys_{};
};

}  // namespace pma::scanner
