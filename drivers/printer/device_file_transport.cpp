// Device-file printer transport: the USB printer class (/dev/usb/lpN) and pseudo-terminals,
// opened non-blocking and waited on through a posix::stream_descriptor.
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>
#include <optional>

#include "drivers/printer/stream_io.h"
#include "drivers/printer/transport.h"

namespace pma::printer {

namespace asio = boost::asio;

Status DeviceFileOptions::validate() const {
  if (path.empty()) return fail("invalid_printer_config", "printer.device is empty");
  if (write_timeout.count() <= 0) {
    return fail("invalid_printer_config", "printer.write_timeout_ms must be positive");
  }
  return {};
}

namespace {

class DeviceFileTransport final : public Transport {
 public:
  DeviceFileTransport(asio::any_io_executor executor, DeviceFileOptions options)
      : executor_(std::move(executor)),
        options_(std::move(options)),
        name_("device:" + options_.path) {}

  std::string describe() const override { return name_; }
  bool can_read() const override { return options_.status_queries; }
  bool is_open() const override { return stream_.has_value() && stream_->is_open(); }

  asio::awaitable<Status> open() override {
    close();
    int fd = ::open(options_.path.c_str(), O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
      int error = errno;
      co_return fail(error == ENOENT || error == ENODEV || error == ENXIO ? "device_absent"
                                                                          : "printer_open_failed",
                     fmt::format("open {}: {}", options_.path, std::strerror(error)));
    }
    // A tty (pty, serial bridge) must pass bytes untouched: no LF -> CRLF, no echo.
    if (::isatty(fd) == 1) {
      termios tio{};
      if (::tcgetattr(fd, &tio) == 0) {
        ::cfmakeraw(&tio);
        ::tcsetattr(fd, TCSANOW, &tio);
      }
    }
    stream_.emplace(executor_, fd);
    co_return Status{};
  }

  asio::awaitable<WriteResult> write(std::string_view bytes) override {
    if (!is_open()) co_return WriteResult{0, fail("printer_closed", name_ + " is not open")};
    co_return co_await detail::timed_write(*stream_, bytes, options_.write_timeout, name_);
  }

  asio::awaitable<Result<std::string>> read(std::size_t count,
                                            std::chrono::milliseconds timeout) override {
    if (!can_read()) co_return fail("printer_read_unsupported", name_ + " is write-only");
    if (!is_open()) co_return fail("printer_closed", name_ + " is not open");
    co_return co_await detail::timed_read(*stream_, count, timeout, name_);
  }

  void discard_input() override {
    if (is_open()) detail::discard_buffered(*stream_);
  }

  void close() override {
    if (!stream_) return;
    boost::system::error_code ignored;
    stream_->close(ignored);
    stream_.reset();
  }

 private:
  asio::any_io_executor executor_;
  DeviceFileOptions options_;
  std::string name_;
  std::optional<asio::posix::stream_descriptor> stream_;
};

}  // namespace

std::unique_ptr<Transport> make_device_file_transport(asio::any_io_executor executor,
                                                      DeviceFileOptions options) {
  return std::make_unique<DeviceFileTransport>(std::move(executor), std::move(options));
}

asio::awaitable<Result<PrinterStatus>> query_status(Transport& transport,
                                                    std::chrono::milliseconds timeout) {
  if (!transport.can_read()) co_return PrinterStatus{};
  transport.discard_input();
  std::string request = full_status_request();
  WriteResult sent = co_await transport.write(request);
  if (!sent.status) co_return std::unexpected(sent.status.error());
  auto replies = co_await transport.read(4, timeout);
  if (!replies) {
    if (replies.error().code == "printer_timeout") co_return PrinterStatus{};  // no answer
    co_return std::unexpected(replies.error());
  }
  co_return parse_full_status(*replies);
}

}  // namespace pma::printer
