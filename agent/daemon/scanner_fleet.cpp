#include "agent/daemon/scanner_fleet.h"

namespace pma::daemon {

pma::v1::DeviceState to_device_state(const scanner::ScannerStatus& status) {
  pma::v1::DeviceState state;
  state.set_name(status.name);
  state.set_kind(std::string("scanner/") + std::string(scanner::to_string(status.kind)));
  state.set_state(std::string(scanner::to_string(status.state)));
  state.set_reason(status.reason);
  return state;
}

Status ScannerFleet::start(const std::vector<scanner::ScannerConfig>& configs,
                           scanner::ScanCallback on_scan, scanner::StateCallback on_state) {
  for (const auto& config : configs) {
    if (config.kind == scanner::ScannerKind::tcp) {
      PMA_TRY_ASSIGN(auto tcp, scanner::TcpScanner::create(io_, config, on_scan, on_state));
      if (auto ok = tcp->start(); !ok) return ok;
      tcp_.push_back(std::move(tcp));
    } else {
      PMA_TRY_ASSIGN(auto device, scanner::ScannerDevice::create(io_, config, on_scan, on_state));
      device->start();
      devices_.push_back(std::move(device));
    }
  }
  return {};
}

void ScannerFleet::stop() {
  for (auto& device : devices_) device->stop();
  for (auto& tcp : tcp_) tcp->stop();
}

std::vector<pma::v1::DeviceState> ScannerFleet::states() const {
  std::vector<pma::v1::DeviceState> out;
  for (const auto& device : devices_) out.push_back(to_device_state(device->status()));
  for (const auto& tcp : tcp_) out.push_back(to_device_state(tcp->status()));
  return out;
}

}  // namespace pma::daemon
