#include "drivers/scanner/hid_scan_source.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace pma::scanner {

namespace {
constexpr std::size_t kMaxReadPerCall = 64 * 1024;
}  // namespace

HidScanSource::HidScanSource(std::string path, KeyboardLayout layout, bool grab)
    : path_(std::move(path)), grab_(grab), decoder_(layout) {}

HidScanSource::~HidScanSource() { close(); }

Status HidScanSource::open() {
  close();
  int fd = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    if (error == ENOENT || error == ENODEV || error == ENXIO) {
      return fail("device_absent", fmt::format("{} is absent: {}", path_, std::strerror(error)));
    }
    return fail("hid_open_failed", fmt::format("cannot open {}: {}", path_, std::strerror(error)));
  }
  if (grab_ && ::ioctl(fd, EVIOCGRAB, 1) != 0) {
    int error = errno;
    ::close(fd);
    return fail("hid_grab_failed",
                fmt::format("cannot grab {} (EVIOCGRAB): {}{}", path_, std::strerror(error),
                            error == EBUSY ? " (another program holds it)" : ""));
  }
  fd_ = fd;
  pending_.clear();
  decoder_.reset();
  return {};
}

Status HidScanSource::read_available(std::string& text, bool& discard_partial) {
  if (fd_ < 0) return fail("device_gone", fmt::format("{} is not open", path_));
  char buffer[sizeof(input_event) * 64];
  std::size_t total = 0;
  while (total < kMaxReadPerCall) {
    ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n < 0) {
      int error = errno;
      if (error == EINTR) continue;
      if (error == EAGAIN || error == EWOULDBLOCK) return {};
      if (error == ENODEV || error == EIO || error == ENXIO) {
        return fail("device_gone", fmt::format("{} is gone: {}", path_, std::strerror(error)));
      }
      return fail("hid_read_failed",
                  fmt::format("read from {} failed: {}", path_, std::strerror(error)));
    }
    // A readable fd that reads nothing: the device (or the writer of a FIFO) went away.
    if (n == 0) return fail("device_gone", fmt::format("{} hung up (read returned 0)", path_));
    total += static_cast<std::size_t>(n);
    pending_.append(buffer, static_cast<std::size_t>(n));
    const std::size_t whole = pending_.size() / sizeof(input_event);
    // Only part of a record so far: nothing to decode (and memcpy must not get the null data()
    // of an empty vector, UBSan's report in the recorded-events test).
    if (whole == 0) continue;
    std::vector<input_event> events(whole);
    std::memcpy(events.data(), pending_.data(), whole * sizeof(input_event));
    pending_.erase(0, whole * sizeof(input_event));
    DecodedText decoded = decoder_.decode(events);
    if (decoded.discard_partial) {
      text.clear();
      discard_partial = true;
    }
    text += decoded.text;
  }
  return {};
}

void HidScanSource::close() {
  if (fd_ >= 0) {
    if (grab_) ::ioctl(fd_, EVIOCGRAB, 0);
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace pma::scanner
