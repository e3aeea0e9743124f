// SerialPort: a small interface over one open serial device (a UART, USB-CDC or a pty), read and
// written without blocking; the owner waits on native_handle() in its Asio loop
// (posix::stream_descriptor::async_wait). Not thread-safe: one thread owns a port.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "drivers/serial/serial_settings.h"
#include "pma/error.h"

namespace pma::serial {

class SerialPort {
 public:
  virtual ~SerialPort() = default;

  // The path the port was opened with (before symlink resolution), for messages.
  virtual const std::string& path() const = 0;
  // The open, non-blocking file descriptor, or -1 once closed. Still owned by the port: the
  // caller must not close it (wrap it with release() semantics or a non-owning waiter).
  virtual int native_handle() const = 0;
  virtual bool is_open() const = 0;

  // Reads what is available into `buffer`. Returns the number of bytes read; 0 means nothing
  // is available now (EAGAIN is not an error). Errors: "device_gone" when the device hung up
  // (a 0-byte read on a readable fd, EIO, ENXIO, ENODEV), "serial_read_failed" otherwise,
  // "serial_closed" after close().
  virtual Result<std::size_t> read_some(std::span<char> buffer) = 0;
  // Writes what the device accepts now; returns the count (0 when it would block). Errors as
  // read_some, with "serial_write_failed".
  virtual Result<std::size_t> write_some(std::string_view bytes) = 0;

  // Closes the device; idempotent.
  virtual void close() = 0;
};

// Which implementation open_serial_port() uses.
enum class SerialDriver {
  automatic,      // termios for pseudo-terminals (/dev/pts/*), libserialport otherwise
  termios,        // TermiosSerialPort: ptys, ser2net/socat bridges
  libserialport,  // LibSerialPort: real UARTs and USB-CDC devices
};

// Parses "auto" / "termios" / "libserialport"; error "invalid_serial_driver" otherwise.
Result<SerialDriver> parse_serial_driver(std::string_view text);

// Opens `path` (symlinks such as /dev/serial/by-id/... are resolved first) with `settings`.
// Errors: "invalid_serial_settings", "device_absent" (no such device: not plugged in),
// "serial_open_failed" (exists but cannot be opened or configured; message names the port and
// the OS or libserialport error).
Result<std::unique_ptr<SerialPort>> open_serial_port(const std::string& path,
                                                     const SerialSettings& settings,
                                                     SerialDriver driver = SerialDriver::automatic);

}  // namespace pma::serial
