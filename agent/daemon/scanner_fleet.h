// The scanners memberd drives (serial, HID and TCP from [[scanner]] entries), started on the
// io_context, with their states for /v1/health. Lives on the io_context thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

#include "drivers/scanner/scanner_device.h"
#include "drivers/scanner/tcp_scanner.h"
#include "pma/v1/api.pb.h"

namespace pma::daemon {

pma::v1::DeviceState to_device_state(const scanner::ScannerStatus& status);

class ScannerFleet {
 public:
  explicit ScannerFleet(boost::asio::io_context& io) : io_(io) {}

  // Creates and starts one scanner per config. A device that is absent is not an error (it is
  // opened when plugged in); a config the driver refuses is ("invalid_scanner_config").
  Status start(const std::vector<scanner::ScannerConfig>& configs, scanner::ScanCallback on_scan,
               scanner::StateCallback on_state);
  void stop();

  std::vector<pma::v1::DeviceState> states() const;

 private:
  boost::asio::io_context& io_;
  std::vector<std::unique_ptr<scanner::ScannerDevice>> devices_;
  std::vector<std::unique_ptr<scanner::TcpScanner>> tcp_;
};

}  // namespace pma::daemon
