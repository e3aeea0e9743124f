#include "tests/support/pty_pair.h"

#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace pma::test {

PtyPair::PtyPair() {
  char name[256] = {};
  if (openpty(&controller_, &device_, name, nullptr, nullptr) != 0) {
    throw std::runtime_error("openpty failed");
  }
  device_path_ = name;
  for (int fd : {controller_, device_}) {
    termios tio{};
    tcgetattr(fd, &tio);
    cfmakeraw(&tio);
    tcsetattr(fd, TCSANOW, &tio);
  }
}

PtyPair::~PtyPair() {
  if (controller_ >= 0) ::close(controller_);
  if (device_ >= 0) ::close(device_);
}

void PtyPair::write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(controller_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw std::runtime_error("write to pty controller failed");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string PtyPair::read_available(int timeout_ms) {
  std::string out;
  int wait = timeout_ms;
  for (;;) {
    pollfd pfd{controller_, POLLIN, 0};
    int ready = ::poll(&pfd, 1, wait);
    if (ready <= 0 || !(pfd.revents & POLLIN)) break;
    char buffer[4096];
    ssize_t n = ::read(controller_, buffer, sizeof buffer);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
    wait = 20;
  }
  return out;
}

void PtyPair::close_controller() {
  if (device_ >= 0) ::close(device_), device_ = -1;
  if (controller_ >= 0) ::close(controller_), controller_ = -1;
}

}  // namespace pma::test
