// The only file that includes <libserialport.h>.
#include "drivers/serial/lib_serial_port.h"

#include <fmt/format.h>
#include <libserialport.h>

#include "drivers/serial/fd_io.h"
#include "pma/error.h"

namespace pma::serial {

struct LibSerialPort::PortHandle {
  sp_port* port = nullptr;
  bool open = false;
  ~PortHandle() {
    if (port != nullptr) {
      if (open) sp_close(port);
      sp_free_port(port);
    }
  }
};

namespace {

// Must be read at once after the failing call, on the same thread.
std::string last_error(sp_return code) {
  if (code != SP_ERR_FAIL) {
    switch (code) {
      case SP_ERR_ARG:
        return "invalid argument";
      case SP_ERR_MEM:
        return "out of memory";
      case SP_ERR_SUPP:
        return "not supported by this port";
      default:
        return fmt::format("libserialport error {}", static_cast<int>(code));
    }
  }
  char* message = sp_last_error_message();
  std::string text = message != nullptr ? message : "unknown error";
  sp_free_error_message(message);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

sp_parity to_sp(Parity parity) {
  switch (parity) {
    case Parity::none:
      return SP_PARITY_NONE;
    case Parity::odd:
      return SP_PARITY_ODD;
    case Parity::even:
      return SP_PARITY_EVEN;
    case Parity::mark:
      return SP_PARITY_MARK;
    case Parity::space:
      return SP_PARITY_SPACE;
  }
  return SP_PARITY_NONE;
}

sp_flowcontrol to_sp(FlowControl flow_control) {
  switch (flow_control) {
    case FlowControl::none:
      return SP_FLOWCONTROL_NONE;
    case FlowControl::xon_xoff:
      return SP_FLOWCONTROL_XONXOFF;
    case FlowControl::rts_cts:
      return SP_FLOWCONTROL_RTSCTS;
    case FlowControl::dtr_dsr:
      return SP_FLOWCONTROL_DTRDSR;
  }
  return SP_FLOWCONTROL_NONE;
}

Status configure(sp_port* port, const std::string& path, const SerialSettings& settings) {
  sp_port_config* config = nullptr;
  if (sp_return rc = sp_new_config(&config); rc != SP_OK) {
    return fail("serial_open_failed", fmt::format("{}: {}", path, last_error(rc)));
  }
  sp_return rc = SP_OK;
  const char* step = "baud";
  if ((rc = sp_set_config_baudrate(config, settings.baud)) == SP_OK) {
    step = "data_bits";
    if ((rc = sp_set_config_bits(config, settings.data_bits)) == SP_OK) {
      step = "parity";
      if ((rc = sp_set_config_parity(config, to_sp(settings.parity))) == SP_OK) {
        step = "stop_bits";
        if ((rc = sp_set_config_stopbits(config, settings.stop_bits)) == SP_OK) {
          step = "flow_control";
          if ((rc = sp_set_config_flowcontrol(config, to_sp(settings.flow_control))) == SP_OK) {
            step = "apply";
            rc = sp_set_config(port, config);
          }
        }
      }
    }
  }
  std::string error = rc == SP_OK ? std::string() : last_error(rc);
  sp_free_config(config);
  if (rc != SP_OK) {
    return fail("serial_open_failed",
                fmt::format("cannot configure {} ({}): {}", path, step, error));
  }
  return {};
}

}  // namespace

LibSerialPort::LibSerialPort(std::string path, std::unique_ptr<PortHandle> port, int fd)
    : path_(std::move(path)), port_(std::move(port)), fd_(fd) {}

LibSerialPort::~LibSerialPort() { close(); }

Result<std::unique_ptr<LibSerialPort>> LibSerialPort::open(const std::string& path,
                                                           const SerialSettings& settings) {
  PMA_TRY(settings.validate());
  PMA_TRY_ASSIGN(auto resolved, detail::resolve_device_path(path));
  auto handle = std::make_unique<PortHandle>();
  if (sp_return rc = sp_get_port_by_name(resolved.c_str(), &handle->port); rc != SP_OK) {
    return fail("serial_open_failed",
                fmt::format("{} ({}) is not a serial port libserialport knows: {}", path, resolved,
                            last_error(rc)));
  }
  if (sp_return rc = sp_open(handle->port, SP_MODE_READ_WRITE); rc != SP_OK) {
    return fail("serial_open_failed",
                fmt::format("cannot open {} ({}): {}", path, resolved, last_error(rc)));
  }
  handle->open = true;
  PMA_TRY(configure(handle->port, path, settings));
  int fd = -1;
  if (sp_return rc = sp_get_port_handle(handle->port, &fd); rc != SP_OK || fd < 0) {
    return fail("serial_open_failed",
                fmt::format("no file descriptor for {}: {}", path, last_error(rc)));
  }
  // sp_open leaves the fd blocking; the Asio loop needs it non-blocking.
  PMA_TRY(detail::set_nonblocking(fd, path));
  return std::unique_ptr<LibSerialPort>(new LibSerialPort(path, std::move(handle), fd));
}

Result<std::size_t> LibSerialPort::read_some(std::span<char> buffer) {
  return detail::read_nonblocking(fd_, buffer, path_);
}

Result<std::size_t> LibSerialPort::write_some(std::string_view bytes) {
  return detail::write_nonblocking(fd_, bytes, path_);
}

void LibSerialPort::close() {
  port_.reset();
  fd_ = -1;
}

}  // namespace pma::serial
