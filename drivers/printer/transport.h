// Printer transports: a small interface over the byte pipe to one printer (TCP 9100, a device
// file such as /dev/usb/lp0 or a pty, a serial port), integrated into Boost.Asio, with timeouts.
// Not thread-safe: a transport belongs to the io_context thread that runs its coroutines, and
// at most one write and one read may be in flight at a time.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "drivers/printer/status.h"
#include "drivers/serial/serial_port.h"
#include "drivers/serial/serial_settings.h"
#include "pma/error.h"

namespace pma::printer {

// How a write ended: `written` bytes went out before `status` (an error, or success).
struct WriteResult {
  std::size_t written = 0;
  Status status;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // "tcp:192.168.1.50:9100", "device:/dev/usb/lp0": for messages and health.
  virtual std::string describe() const = 0;
  // True when the printer can answer (DLE EOT status queries work).
  virtual bool can_read() const = 0;
  virtual bool is_open() const = 0;

  // Connects or opens. Errors: "printer_unreachable" (refused, unresolvable, timed out),
  // "device_absent" (no such device file: unplugged), "printer_open_failed".
  virtual boost::asio::awaitable<Status> open() = 0;
  // Writes all of `bytes` (which must stay alive until completion). Errors:
  // "printer_disconnected", "printer_timeout" (the printer stopped taking bytes),
  // "printer_write_failed", "printer_closed".
  virtual boost::asio::awaitable<WriteResult> write(std::string_view bytes) = 0;
  // Reads exactly `count` bytes within `timeout`. Errors: "printer_timeout",
  // "printer_disconnected", "printer_read_failed", "printer_read_unsupported", "printer_closed".
  virtual boost::asio::awaitable<Result<std::string>> read(std::size_t count,
                                                           std::chrono::milliseconds timeout) = 0;
  // Drops bytes already received and not read (stale replies), without waiting.
  virtual void discard_input() = 0;
  // Closes; idempotent. A later open() reconnects.
  virtual void close() = 0;
};

struct TcpOptions {
  std::string host;                                 // printer.host
  std::uint16_t port = 9100;                        // printer.port (default 9100)
  std::chrono::milliseconds connect_timeout{3000};  // printer.connect_timeout_ms
  std::chrono::milliseconds write_timeout{10000};   // printer.write_timeout_ms
  bool status_queries = true;                       // printer.status (false: write-only)
  Status validate() const;
};

struct DeviceFileOptions {
  std::string path;                                // printer.device, e.g. /dev/usb/lp0
  std::chrono::milliseconds write_timeout{10000};  // printer.write_timeout_ms
  // USB printers that answer DLE EOT through usblp, and ptys, can read; some cannot.
  bool status_queries = true;  // printer.status
  Status validate() const;
};

struct SerialTransportOptions {
  std::string path;                 // printer.serial.port
  serial::SerialSettings settings;  // printer.serial.* (baud, parity, ...)
  serial::SerialDriver driver = serial::SerialDriver::automatic;  // printer.serial.driver
  std::chrono::milliseconds write_timeout{10000};                 // printer.write_timeout_ms
  bool status_queries = true;                                     // printer.status
  Status validate() const;
};

// Owned by the caller; `executor` must outlive it.
std::unique_ptr<Transport> make_tcp_transport(boost::asio::any_io_executor executor,
                                              TcpOptions options);
std::unique_ptr<Transport> make_device_file_transport(boost::asio::any_io_executor executor,
                                                      DeviceFileOptions options);

// RS-232 / USB-CDC printers through pma_serial (libserialport; termios for ptys and bridges).
std::unique_ptr<Transport> make_serial_transport(boost::asio::any_io_executor executor,
                                                 SerialTransportOptions options);

// Sends DLE EOT 1..4 and parses the four replies. Returns an unknown status (known = false)
// when the transport cannot read or the printer did not answer within `timeout`; errors only
// when the connection failed ("printer_disconnected", ...) or a reply is malformed.
boost::asio::awaitable<Result<PrinterStatus>> query_status(Transport& transport,
                                                           std::chrono::milliseconds timeout);

}  // namespace pma::printer
