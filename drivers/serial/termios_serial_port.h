// TermiosSerialPort: a SerialPort over plain termios in raw mode (cfmakeraw), for
// pseudo-terminals and serial-over-network bridges (ser2net, socat) that expose one.
// Not thread-safe: one thread owns a port.
#pragma once

#include <memory>
#include <string>

#include "drivers/serial/serial_port.h"

namespace pma::serial {

class TermiosSerialPort final : public SerialPort {
 public:
  // Opens `path` (O_NONBLOCK | O_NOCTTY) and applies `settings` in raw mode. Errors:
  // "invalid_serial_settings", "device_absent", "serial_open_failed".
  static Result<std::unique_ptr<TermiosSerialPort>> open(const std::string& path,
                                                         const SerialSettings& settings);
  ~TermiosSerialPort() override;
  TermiosSerialPort(const TermiosSerialPort&) = delete;
  TermiosSerialPort& operator=(const TermiosSerialPort&) = delete;

  const std::string& path() const override { return path_; }
  int native_handle() const override { return fd_; }
  bool is_open() const override { return fd_ >= 0; }
  Result<std::size_t> read_some(std::span<char> buffer) override;
  Result<std::size_t> write_some(std::string_view bytes) override;
  void close() override;

 private:
  TermiosSerialPort(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

}  // namespace pma::serial
