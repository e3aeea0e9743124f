// DevicePresence: whether a printer's device file (/dev/usb/lp0, a udev symlink, a pty link)
// exists, watched without a thread of its own: inotify on the parent folder through Asio, or,
// while that folder is missing or cannot be watched (no /dev/usb before the first USB printer is
// plugged in), an Asio timer that re-checks every few seconds. Also a Transport decorator whose
// open() waits for the device to appear, so a queued job prints as soon as it is plugged back in.
// Not thread-safe: lives on the io_context thread of its executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/printer/transport.h"
#include "pma/error.h"

namespace pma::printer {

class DevicePresence {
 public:
  // Called on the executor's thread each time the device appears (true) or vanishes (false).
  using Listener = std::function<void(bool present)>;

  // `executor` must outlive the watcher. `recheck` is how often the path is re-checked while
  // its folder cannot be watched.
  DevicePresence(boost::asio::any_io_executor executor, std::string path,
                 std::chrono::milliseconds recheck = std::chrono::seconds(2));
  ~DevicePresence();
  DevicePresence(const DevicePresence&) = delete;
  DevicePresence& operator=(const DevicePresence&) = delete;

  // Checks the path now (without calling listeners) and starts watching it. Idempotent.
  void start();
  // Stops watching (pending waits end once the io_context runs). Idempotent; start() resumes.
  void stop();

  // Listeners are called in subscription order; the id unsubscribes. A listener may not
  // (un)subscribe from within the call.
  std::uint64_t subscribe(Listener listener);
  void unsubscribe(std::uint64_t id);

  // Re-checks the path now (e.g. after an open() found it gone although no event said so: a
  // symlink whose target vanished) and tells the listeners if that changed anything.
  void recheck();

  bool present() const { return present_; }
  const std::string& path() const { return path_; }
  // Success while present; otherwise "device_absent" with a message naming the path.
  Status status() const;
  // "inotify" while the parent folder is watched, "timer" while re-checking on a timer,
  // "stopped".
  std::string_view method() const;
  const boost::asio::any_io_executor& executor() const { return executor_; }

 private:
  struct Watch;
  void arm();
  void arm_timer();
  void wait_for_events();
  void update(bool present);

  boost::asio::any_io_executor executor_;
  std::string path_;
  std::string parent_;
  std::string name_;
  std::chrono::milliseconds recheck_;
  std::shared_ptr<Watch> watch_;  // handlers hold it weakly: they outlive nothing
  bool running_ = false;
  bool present_ = false;
  std::uint64_t next_id_ = 1;
  std::vector<std::pair<std::uint64_t, Listener>> listeners_;
};

// Wraps `inner` (a transport to the device file at presence.path()): open() first waits, without
// timing out, until the device is present, and close() ends that wait ("printer_closed"). A
// "device_absent" from the inner open() makes `presence` re-check the path. `presence` must
// outlive the returned transport.
std::unique_ptr<Transport> wait_for_presence(std::unique_ptr<Transport> inner,
                                             DevicePresence& presence);

}  // namespace pma::printer
