#include <fmt/format.h>

#include "drivers/serial/fd_io.h"
#include "drivers/serial/lib_serial_port.h"
#include "drivers/serial/serial_port.h"
#include "drivers/serial/termios_serial_port.h"

namespace pma::serial {

Result<SerialDriver> parse_serial_driver(std::string_view text) {
  if (text == "auto") return SerialDriver::automatic;
  if (text == "termios") return SerialDriver::termios;
  if (text == "libserialport") return SerialDriver::libserialport;
  return fail("invalid_serial_driver",
              fmt::format("driver '{}' is not one of auto, termios, libserialport", text));
}

Result<std::unique_ptr<SerialPort>> open_serial_port(const std::string& path,
                                                     const SerialSettings& settings,
                                                     SerialDriver driver) {
  if (driver == SerialDriver::automatic) {
    PMA_TRY_ASSIGN(auto resolved, detail::resolve_device_path(path));
    // libserialport 0.1.1 cannot open pseudo-terminals (sysfs lookup, TIOCMGET).
    driver =
        resolved.starts_with("/dev/pts/") ? SerialDriver::termios : SerialDriver::libserialport;
  }
  if (driver == SerialDriver::termios) {
    PMA_TRY_ASSIGN(auto port, TermiosSerialPort::open(path, settings));
    return std::unique_ptr<SerialPort>(std::move(port));
  }
  PMA_TRY_ASSIGN(auto port, LibSerialPort::open(path, settings));
  return std::unique_ptr<SerialPort>(std::move(port));
}

}  // namespace pma::serial
