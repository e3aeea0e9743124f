// ScannerDevice: one serial or HID scanner on the Asio io_context, named by a stable path. It
// opens the device, waits on its fd (no thread, no polling), frames scans, notices unplug and
// reopens with backoff (100 ms doubling to 1 s) when the device returns.
// Not thread-safe: create, use and destroy it on the io_context's thread; callbacks run there.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "drivers/scanner/framer.h"
#include "drivers/scanner/scan_source.h"
#include "drivers/scanner/scanner_config.h"
#include "pma/error.h"

namespace pma::scanner {

// absent: not plugged in (or unplugged; reopening); ready: open and reading;
// error: present but failing (permissions, grabbed by another program, ...; retrying).
enum class ScannerState { absent, ready, error };
std::string_view to_string(ScannerState state);

// A snapshot for /v1/health and `memberctl status`.
struct ScannerStatus {
  std::string name;
  ScannerKind kind = ScannerKind::serial;
  std::string path;
  ScannerState state = ScannerState::absent;
  std::string reason;  // why absent/error (the open or read error); empty when ready
  FramerStats stats;
  std::uint64_t opens = 0;  // successful opens (1 + reopens after unplug)
};

using ScanCallback = std::function<void(const ScanEvent&)>;
using StateCallback = std::function<void(const ScannerStatus&)>;

struct ReopenBackoff {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{1000};
};

class ScannerDevice {
 public:
  // `config` (kind serial or hid) is validated: "invalid_scanner_config" otherwise.
  // `on_scan` gets each accepted scan (device = config.name); `on_state` each state change.
  static Result<std::unique_ptr<ScannerDevice>> create(boost::asio::io_context& io,
                                                       ScannerConfig config, ScanCallback on_scan,
                                                       StateCallback on_state = {},
                                                       ReopenBackoff backoff = {});
  // For tests: a device reading from a given source.
  ScannerDevice(boost::asio::io_context& io, ScannerConfig config,
                std::unique_ptr<ScanSource> source, ScanCallback on_scan,
                StateCallback on_state = {}, ReopenBackoff backoff = {});
  // Stops: closes the device; no callback runs afterwards.
  ~ScannerDevice();
  ScannerDevice(const ScannerDevice&) = delete;
  ScannerDevice& operator=(const ScannerDevice&) = delete;

  // Tries to open the device now (and keeps retrying with backoff while it is absent).
  void start();
  // Closes the device and stops retrying. start() may be called again.
  void stop();

  ScannerState state() const;
  ScannerStatus status() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;  // shared with pending handlers, so they outlive us safely
};

}  // namespace pma::scanner
