// The only file that includes libsystemd's sd-daemon.h. Built without libsystemd, every call
// is a no-op, so memberd still runs (without readiness or watchdog) under Type=simple.
#include "agent/daemon/systemd_notify.h"

#include <cstdint>
#include <string>

#if __has_include(<systemd/sd-daemon.h>)
#include <systemd/sd-daemon.h>
#define PMA_HAVE_SD_DAEMON 1
#endif

namespace pma::daemon {

namespace {

void notify(const std::string& state) {
#ifdef PMA_HAVE_SD_DAEMON
  // unset_environment=0: a restart-in-place (exec) must still find NOTIFY_SOCKET.
  (void)sd_notify(0, state.c_str());
#else
  (void)state;
#endif
}

// A STATUS= value is one line: a newline would start another assignment.
std::string one_line(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

}  // namespace

void notify_ready(std::string_view status) {
  std::string state = "READY=1";
  if (!status.empty()) state += "\nSTATUS=" + one_line(status);
  notify(state);
}

void notify_stopping() { notify("STOPPING=1"); }

void notify_status(std::string_view status) { notify("STATUS=" + one_line(status)); }

std::optional<std::chrono::microseconds> watchdog_interval() {
#ifdef PMA_HAVE_SD_DAEMON
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    return std::chrono::microseconds(static_cast<std::int64_t>(usec / 2));
  }
#endif
  return std::nullopt;
}

void notify_watchdog() { notify("WATCHDOG=1"); }

}  // namespace pma::daemon
