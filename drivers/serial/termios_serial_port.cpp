#include "drivers/serial/termios_serial_port.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "drivers/serial/fd_io.h"

namespace pma::serial {

namespace {

speed_t to_speed(int baud) {
  switch (baud) {
    case 50:
      return B50;
    case 75:
      return B75;
    case 110:
      return B110;
    case 134:
      return B134;
    case 150:
      return B150;
    case 200:
      return B200;
    case 300:
      return B300;
    case 600:
      return B600;
    case 1200:
      return B1200;
    case 1800:
      return B1800;
    case 2400:
      return B2400;
    case 4800:
      return B4800;
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    case 230400:
      return B230400;
    case 460800:
      return B460800;
    case 500000:
      return B500000;
    case 576000:
      return B576000;
    case 921600:
      return B921600;
    case 1000000:
      return B1000000;
    case 1152000:
      return B1152000;
    case 1500000:
      return B1500000;
    case 2000000:
      return B2000000;
    case 2500000:
      return B2500000;
    case 3000000:
      return B3000000;
    case 3500000:
      return B3500000;
    case 4000000:
      return B4000000;
    default:
      return B0;
  }
}

tcflag_t to_char_size(int data_bits) {
  switch (data_bits) {
    case 5:
      return CS5;
    case 6:
      return CS6;
    case 7:
      return CS7;
    default:
      return CS8;
  }
}

Status apply_settings(int fd, const std::string& path, const SerialSettings& settings) {
  if (settings.flow_control == FlowControl::dtr_dsr) {
    return fail("serial_open_failed",
                fmt::format("{}: termios has no DTR/DSR flow control (use libserialport)", path));
  }
  termios tio{};
  if (::tcgetattr(fd, &tio) != 0) {
    return fail("serial_open_failed",
                fmt::format("{} is not a terminal: {}", path, std::strerror(errno)));
  }
  ::cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cflag &= ~(CSIZE | CSTOPB | PARENB | PARODD | CMSPAR | CRTSCTS);
  tio.c_cflag |= to_char_size(settings.data_bits);
  if (settings.stop_bits == 2) tio.c_cflag |= CSTOPB;
  switch (settings.parity) {
    case Parity::none:
      break;
    case Parity::odd:
      tio.c_cflag |= PARENB | PARODD;
      break;
    case Parity::even:
      tio.c_cflag |= PARENB;
      break;
    case Parity::mark:
      tio.c_cflag |= PARENB | CMSPAR | PARODD;
      break;
    case Parity::space:
      tio.c_cflag |= PARENB | CMSPAR;
      break;
  }
  tio.c_iflag &= ~(IXON | IXOFF | IXANY);
  if (settings.flow_control == FlowControl::xon_xoff) tio.c_iflag |= IXON | IXOFF;
  if (settings.flow_control == FlowControl::rts_cts) tio.c_cflag |= CRTSCTS;
  // Non-blocking reads return what is there; VMIN/VTIME only matter for blocking reads.
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  speed_t speed = to_speed(settings.baud);
  if (::cfsetispeed(&tio, speed) != 0 || ::cfsetospeed(&tio, speed) != 0 ||
      ::tcsetattr(fd, TCSANOW, &tio) != 0) {
    return fail("serial_open_failed", fmt::format("cannot configure {} ({} baud): {}", path,
                                                  settings.baud, std::strerror(errno)));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<TermiosSerialPort>> TermiosSerialPort::open(const std::string& path,
                                                                   const SerialSettings& settings) {
  PMA_TRY(settings.validate());
  int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    if (error == ENOENT || error == ENXIO || error == ENODEV || error == EIO) {
      return fail("device_absent", fmt::format("{} is absent: {}", path, std::strerror(error)));
    }
    return fail("serial_open_failed",
                fmt::format("cannot open {}: {}", path, std::strerror(error)));
  }
  if (auto applied = apply_settings(fd, path, settings); !applied) {
    ::close(fd);
    return std::unexpected(applied.error());
  }
  return std::unique_ptr<TermiosSerialPort>(new TermiosSerialPort(path, fd));
}

TermiosSerialPort::~TermiosSerialPort() { close(); }

Result<std::size_t> TermiosSerialPort::read_some(std::span<char> buffer) {
  return detail::read_nonblocking(fd_, buffer, path_);
}

Result<std::size_t> TermiosSerialPort::write_some(std::string_view bytes) {
  return detail::write_nonblocking(fd_, bytes, path_);
}

void TermiosSerialPort::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace pma::serial
