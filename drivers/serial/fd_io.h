// Non-blocking read/write on a device file descriptor with the hang-up rules of SerialPort.
// Internal to pma_serial; stateless and thread-compatible.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "pma/error.h"

namespace pma::serial::detail {

// read(2) mapping: EAGAIN -> 0, 0 bytes -> "device_gone", EIO/ENXIO/ENODEV -> "device_gone".
Result<std::size_t> read_nonblocking(int fd, std::span<char> buffer, const std::string& path);
// write(2) mapping: EAGAIN -> 0, EIO/ENXIO/ENODEV/EPIPE -> "device_gone".
Result<std::size_t> write_nonblocking(int fd, std::string_view bytes, const std::string& path);
// Sets O_NONBLOCK on fd; "serial_open_failed" on failure.
Status set_nonblocking(int fd, const std::string& path);
// realpath(3); "device_absent" when the path or its target does not exist.
Result<std::string> resolve_device_path(const std::string& path);

}  // namespace pma::serial::detail
