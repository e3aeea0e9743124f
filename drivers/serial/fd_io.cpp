#include "drivers/serial/fd_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace pma::serial::detail {

namespace {
bool is_hangup_errno(int error) {
  return error == EIO || error == ENXIO || error == ENODEV || error == EPIPE;
}
}  // namespace

Result<std::size_t> read_nonblocking(int fd, std::span<char> buffer, const std::string& path) {
  if (fd < 0) return fail("serial_closed", fmt::format("read from closed port {}", path));
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) return static_cast<std::size_t>(n);
    // A readable fd that reads nothing is a hang-up; treating it as "no data" would spin.
    if (n == 0) return fail("device_gone", fmt::format("{} hung up (read returned 0)", path));
    int error = errno;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK) return std::size_t{0};
    if (is_hangup_errno(error)) {
      return fail("device_gone", fmt::format("{} is gone: {}", path, std::strerror(error)));
    }
    return fail("serial_read_failed",
                fmt::format("read from {} failed: {}", path, std::strerror(error)));
  }
}

Result<std::size_t> write_nonblocking(int fd, std::string_view bytes, const std::string& path) {
  if (fd < 0) return fail("serial_closed", fmt::format("write to closed port {}", path));
  if (bytes.empty()) return std::size_t{0};
  for (;;) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    int error = errno;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK) return std::size_t{0};
    if (is_hangup_errno(error)) {
      return fail("device_gone", fmt::format("{} is gone: {}", path, std::strerror(error)));
    }
    return fail("serial_write_failed",
                fmt::format("write to {} failed: {}", path, std::strerror(error)));
  }
}

Status set_nonblocking(int fd, const std::string& path) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return fail("serial_open_failed",
                fmt::format("cannot make {} non-blocking: {}", path, std::strerror(errno)));
  }
  return {};
}

Result<std::string> resolve_device_path(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) {
    int error = errno;
    if (error == ENOENT || error == ENOTDIR) {
      return fail("device_absent", fmt::format("{} does not exist", path));
    }
    return fail("serial_open_failed",
                fmt::format("cannot resolve {}: {}", path, std::strerror(error)));
  }
  return std::string(resolved);
}

}  // namespace pma::serial::detail
