// A real pseudo-terminal pair for serial-device tests: the test writes into (or reads from)
// the controller side; the code under test opens the device path of the other side.
// Not thread-safe; one test owns it.
#pragma once

#include <string>
#include <string_view>

namespace pma::test {

class PtyPair {
 public:
  // Opens a pty pair in raw mode. Throws std::runtime_error on failure.
  PtyPair();
  ~PtyPair();
  PtyPair(const PtyPair&) = delete;
  PtyPair& operator=(const PtyPair&) = delete;

  // The device path of the device side, e.g. "/dev/pts/7", for the code under test to open.
  const std::string& device_path() const { return device_path_; }
  // The controller side's file descriptor (blocking), for the test to write or read.
  int controller_fd() const { return controller_; }

  // Writes all bytes to the controller side (the device side reads them).
  void write(std::string_view bytes);
  // Reads what the device side wrote, waiting up to timeout_ms for the first byte and then
  // collecting until nothing arrives for 20 ms. Returns what was read (maybe empty).
  std::string read_available(int timeout_ms);

  // Closes the device side this object keeps open (so the code under test sees a hang-up
  // once it also closes nothing else), and closes the controller side.
  void close_controller();

 private:
  int controller_ = -1;
  int device_ = -1;  // kept open so the pty exists until the test is done
  std::string device_path_;
};

}  // namespace pma::test
