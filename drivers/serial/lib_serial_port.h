// LibSerialPort: a SerialPort over sigrok libserialport, for real UARTs and USB-CDC devices.
// libserialport opens and configures the port; reads and writes go straight to its
// non-blocking fd (sp_nonblocking_write reports EAGAIN as a failure in 0.1.1).
// libserialport 0.1.1 cannot open pseudo-terminals; use TermiosSerialPort for those.
// Not thread-safe: one thread owns a port.
#pragma once

#include <memory>
#include <string>

#include "drivers/serial/serial_port.h"

namespace pma::serial {

class LibSerialPort final : public SerialPort {
 public:
  // Resolves symlinks in `path` (libserialport fails on /dev/serial/by-id/...), opens the port
  // and applies `settings`. Errors: "invalid_serial_settings", "device_absent",
  // "serial_open_failed" (message carries sp_last_error_message()).
  static Result<std::unique_ptr<LibSerialPort>> open(const std::string& path,
                                                     const SerialSettings& settings);
  ~LibSerialPort() override;
  LibSerialPort(const LibSerialPort&) = delete;
  LibSerialPort& operator=(const LibSerialPort&) = delete;

  const std::string& path() const override { return path_; }
  int native_handle() const override { return fd_; }
  bool is_open() const override { return fd_ >= 0; }
  Result<std::size_t> read_some(std::span<char> buffer) override;
  Result<std::size_t> write_some(std::string_view bytes) override;
  void close() override;

 private:
  struct PortHandle;  // wraps struct sp_port*, so this header does not include libserialport
  LibSerialPort(std::string path, std::unique_ptr<PortHandle> port, int fd);
  std::string path_;
  std::unique_ptr<PortHandle> port_;
  int fd_ = -1;
};

}  // namespace pma::serial
