// ScanSource: where a ScannerDevice's characters come from (a serial port, or an evdev
// keyboard-wedge device decoded through a layout). Opened and read without blocking; the
// device waits on native_handle() in its Asio loop. Not thread-safe: one thread owns a source.
#pragma once

#include <memory>
#include <string>

#include "drivers/scanner/scanner_config.h"
#include "pma/error.h"

namespace pma::scanner {

class ScanSource {
 public:
  virtual ~ScanSource() = default;

  // Opens the device. Errors: "device_absent" (not there: not plugged in yet), anything else
  // (e.g. "serial_open_failed", "hid_open_failed", "hid_grab_failed") with a message naming
  // the device and the OS error.
  virtual Status open() = 0;
  // The open non-blocking fd (owned by the source), or -1.
  virtual int native_handle() const = 0;
  // Reads what is available now (bounded per call) and appends the characters to `text`.
  // Sets `discard_partial` when input was lost and the code in progress must be dropped (text
  // then holds only what followed the loss). Errors: "device_gone" on hang-up or unplug, or a
  // read error; `text` still holds what was read before it.
  virtual Status read_available(std::string& text, bool& discard_partial) = 0;
  // Closes the device; idempotent.
  virtual void close() = 0;
};

// The source for config.kind serial or hid (tcp has its own listener: TcpScanner).
// The config must have passed validate().
std::unique_ptr<ScanSource> make_scan_source(const ScannerConfig& config);

}  // namespace pma::scanner
