// systemd service notifications (Type=notify): readiness, stopping, status and watchdog pings.
// Every call is a no-op when not run by systemd (no NOTIFY_SOCKET). Thread-safe (stateless).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace pma::daemon {

// READY=1 (and STATUS=status when given): the database is open and the local API listens.
void notify_ready(std::string_view status = {});

// STOPPING=1: shutdown has begun (SIGTERM received).
void notify_stopping();

// STATUS=...: one line shown by `systemctl status memberd`. Never put secrets or phone numbers in
// it.
void notify_status(std::string_view status);

// How often to call notify_watchdog(): half of the unit's WatchdogSec, or nullopt when the
// watchdog is off (or not meant for this process).
std::optional<std::chrono::microseconds> watchdog_interval();

// WATCHDOG=1: the event loop is alive. Send it from a timer on the io_context thread so that a
// stalled loop stops the pings and systemd restarts memberd.
void notify_watchdog();

}  // namespace pma::daemon
