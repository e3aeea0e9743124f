#include "drivers/scanner/scanner_config.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include "drivers/scanner/keyboard_layout.h"

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

Status ScannerConfig::check_bind_address() const {
  if (kind != ScannerKind::tcp) return {};
  auto bad = [this](std::string message) {
    return fail("invalid_scanner_config",
                fmt::format("scanner '{}': {}", name.empty() ? "?" : name, message));
  };
  if (bind_address.empty()) return bad("bind_address is empty");
  bool loopback = false;
  in_addr v4{};
  in6_addr v6{};
  if (::inet_pton(AF_INET, bind_address.c_str(), &v4) == 1) {
    loopback = (ntohl(v4.s_addr) >> 24) == 127;
  } else if (::inet_pton(AF_INET6, bind_address.c_str(), &v6) == 1) {
    loopback = IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  } else {
    return bad(
        fmt::format("bind_address '{}' is not an IP address (e.g. 127.0.0.1)", bind_address));
  }
  if (!loopback && !allow_remote) {
    return bad(
        fmt::format("bind_address '{}' is not a loopback address: any host that can "
                    "reach it could inject scans; use 127.0.0.1, or set allow_remote = "
                    "true in this [[scanner]] to accept scans from the network",
                    bind_address));
  }
  return {};
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
    if (auto valid = check_bind_address(); !valid) return valid;
    if (port == 0 && !allow_ephemeral_port) return bad("port is 0 (set the TCP port to listen on)");
  }
  if (auto valid = framer_config().validate(); !valid) return bad(valid.error().message);
  return {};
}

}  // namespace pma::scanner
