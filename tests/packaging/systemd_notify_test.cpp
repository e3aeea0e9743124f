#include "agent/daemon/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "tests/support/temp_dir.h"

namespace {

// A real notification socket, as systemd sets up for a Type=notify service.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof addr.sun_path);
    path.copy(addr.sun_path, path.size());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval timeout{.tv_sec = 30, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
  }

  std::string receive() {
    char buffer[512];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    REQUIRE(n > 0);
    return std::string(buffer, static_cast<std::size_t>(n));
  }

 private:
  int fd_ = -1;
};

}  // namespace

TEST_CASE("Notifications reach systemd's socket as READY, STATUS, WATCHDOG and STOPPING",
          "[packaging][systemd]") {
  pma::test::TempDir dir;
  NotifySocket socket(dir.file("notify"));

  pma::daemon::notify_ready("serving 500 members\non 127.0.0.1:8765");
  CHECK(socket.receive() == "READY=1\nSTATUS=serving 500 members on 127.0.0.1:8765");
  pma::daemon::notify_watchdog();
  CHECK(socket.receive() == "WATCHDOG=1");
  pma::daemon::notify_status("sync: HQ unreachable");
  CHECK(socket.receive() == "STATUS=sync: HQ unreachable");
  pma::daemon::notify_stopping();
  CHECK(socket.receive() == "STOPPING=1");
}

TEST_CASE("Notifications are harmless without systemd", "[packaging][systemd]") {
  ::unsetenv("NOTIFY_SOCKET");
  pma::daemon::notify_ready();
  pma::daemon::notify_watchdog();
  pma::daemon::notify_stopping();
  SUCCEED("no socket, no crash");
}

TEST_CASE("The watchdog interval is half of WatchdogSec and only for the watched process",
          "[packaging][systemd]") {
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  SECTION("watched process") {
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    auto interval = pma::daemon::watchdog_interval();
    REQUIRE(interval);
    CHECK(*interval == std::chrono::seconds(15));
  }
  SECTION("another process's watchdog") {
    ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
    CHECK_FALSE(pma::daemon::watchdog_interval());
  }
  SECTION("no watchdog") {
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    CHECK_FALSE(pma::daemon::watchdog_interval());
  }
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
}
