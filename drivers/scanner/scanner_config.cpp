#include "scanner/scanner_config.h"

#include <fmt/format.h>

#include "scanner/keyboard_layout.h"

namespace pma::scanner {

Result<ScannerKind> parse_scanner_kind(std::string_view text) {
  if (text == "serial") return ScannerKind::serial;
  if (text == "hid") return ScannerKind::hid;
  if (text == "tcp") return ScannerKind::tcp;
  return fail("invalid_scanner_kind",
              fmt::format("kind '{}' is not one of serial, hid, tcp", text));
}

std::string_view to_string(ScannerKind kind) {
  switch (kind) {
    case ScannerKind::serial:
      return "serial";
    case ScannerKind::hid:
      return "hid";
    case ScannerKind::tcp:
      return "tcp";
  }
  return "unknown";
}

FramerConfig ScannerConfig::framer_config() const {
  return FramerConfig{
      .terminator = terminator,
      .intercharacter_timeout = std::chrono::milliseconds(intercharacter_timeout_ms),
      .max_length = max_length > 0 ? static_cast<std::size_t>(max_length) : 0,
      .strip_aim = strip_aim,
      .duplicate_window = std::chrono::milliseconds(duplicate_window_ms),
  };
}

Status ScannerConfig::validate() const {
  auto bad = [this](std::string message) {
    return fail("invalid_scanner_config",
                fmt::format("scanner '{}': {}", name.empty() ? "?" : name, message));
  };
  if (name.empty()) return bad("name is empty");
  if (kind != ScannerKind::tcp && path.empty()) {
    return bad(fmt::format("path is empty (required for kind {})", to_string(kind)));
  }
  if (kind == ScannerKind::serial) {
    if (auto valid = serial.validate(); !valid) return bad(valid.error().message);
  }
  if (kind == ScannerKind::hid) {
    if (auto found = KeyboardLayout::named(layout); !found) return bad(found.error().message);
  }
  if (kind == ScannerKind::tcp) {
    if (bind_address.empty()) return bad("bind_address is empty");
    if (port == 0 && !allow_ephemeral_port) return bad("port is 0 (set the TCP port to listen on)");
  }
  if (auto valid = framer_config().validate(); !valid) return bad(valid.error().message);
  return {};
}

}  // namespace pma::scanner
