// ScannerConfig: one [[scanner]] entry of the agent's config file. The integrator maps TOML keys
// onto these fields (key and default in each comment). A plain value type; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "drivers/scanner/framer.h"
#include "drivers/serial/serial_port.h"
#include "drivers/serial/serial_settings.h"
#include "pma/error.h"

namespace pma::scanner {

enum class ScannerKind { serial, hid, tcp };

// Parses "serial" / "hid" / "tcp"; error "invalid_scanner_kind" otherwise.
Result<ScannerKind> parse_scanner_kind(std::string_view text);
std::string_view to_string(ScannerKind kind);

struct ScannerConfig {
  std::string name;                        // name: shown in health/status, e.g. "front-till"
  ScannerKind kind = ScannerKind::serial;  // kind: "serial" | "hid" | "tcp"
  // path: a stable device path, e.g. /dev/serial/by-id/usb-...-if00 or
  // /dev/input/by-id/usb-...-event-kbd (serial and hid).
  std::string path;
  serial::SerialSettings serial;  // baud, parity, data_bits, stop_bits, flow_control
  serial::SerialDriver serial_driver = serial::SerialDriver::automatic;  // driver: "auto"
  // terminator: "any" (CR, LF or CRLF) | "cr" | "lf" | "crlf" | "tab" | "none"
  Terminator terminator = Terminator::any;
  int intercharacter_timeout_ms = 50;      // intercharacter_timeout_ms: 50 (terminator none)
  int duplicate_window_ms = 800;           // duplicate_window_ms: 800 (0 = off)
  int max_length = 512;                    // max_length: 512
  bool strip_aim = false;                  // strip_aim: false
  std::string layout = "us";               // layout: "us" (hid)
  bool grab = true;                        // grab: true (hid: EVIOCGRAB so the UI sees nothing)
  std::string bind_address = "127.0.0.1";  // bind_address: "127.0.0.1" (tcp)
  std::uint16_t port = 0;                  // port: (tcp) required; 0 only in tests (ephemeral)
  // allow_remote: false (tcp). A scanner listener takes scans from whoever connects: unless
  // this is true, bind_address must be a loopback address (127.0.0.0/8, ::1).
  bool allow_remote = false;
  bool allow_ephemeral_port = false;  // not a config key: lets tests bind port 0

  // Errors "invalid_scanner_config" with a message naming the field (e.g. "scanner
  // 'front-till': baud 12345 is not a standard rate").
  Status validate() const;
  // The bind_address part of validate() (tcp only; passes for other kinds): an IP address, and
  // a loopback one unless allow_remote. Errors "invalid_scanner_config".
  Status check_bind_address() const;
  // The Framer settings these fields describe.
  FramerConfig framer_config() const;
};

}  // namespace pma::scanner
