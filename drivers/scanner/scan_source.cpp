#include "drivers/scanner/scan_source.h"

#include <fmt/format.h>

#include "drivers/scanner/hid_scan_source.h"
#include "drivers/serial/serial_port.h"

namespace pma::scanner {

namespace {

constexpr std::size_t kMaxReadPerCall = 64 * 1024;

// A serial scanner through pma_serial (termios for ptys and bridges, libserialport otherwise).
class SerialScanSource final : public ScanSource {
 public:
  SerialScanSource(std::string path, serial::SerialSettings settings, serial::SerialDriver driver)
      : path_(std::move(path)), settings_(settings), driver_(driver) {}

  Status open() override {
    close();
    PMA_TRY_ASSIGN(auto port, serial::open_serial_port(path_, settings_, driver_));
    port_ = std::move(port);
    return {};
  }

  int native_handle() const override { return port_ ? port_->native_handle() : -1; }

  Status read_available(std::string& text, bool&) override {
    if (!port_) return fail("device_gone", fmt::format("{} is not open", path_));
    char buffer[4096];
    std::size_t total = 0;
    while (total < kMaxReadPerCall) {
      PMA_TRY_ASSIGN(auto n, port_->read_some(buffer));
      if (n == 0) return {};
      text.append(buffer, n);
      total += n;
    }
    return {};
  }

  void close() override {
    if (port_) port_->close();
    port_.reset();
  }

 private:
  std::string path_;
  serial::SerialSettings settings_;
  serial::SerialDriver driver_;
  std::unique_ptr<serial::SerialPort> port_;
};

}  // namespace

std::unique_ptr<ScanSource> make_scan_source(const ScannerConfig& config) {
  if (config.kind == ScannerKind::hid) {
    auto layout = KeyboardLayout::named(config.layout);
    return std::make_unique<HidScanSource>(config.path, layout ? *layout : KeyboardLayout::us(),
                                           config.grab);
  }
  return std::make_unique<SerialScanSource>(config.path, config.serial, config.serial_driver);
}

}  // namespace pma::scanner
