// Serial printer transport over pma::serial::SerialPort: the port's fd is waited on through a
// non-owning posix::stream_descriptor (released, never closed, by us); reads and writes go
// through the port so libserialport and termios ports behave alike.
#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "drivers/printer/transport.h"

namespace pma::printer {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

Status SerialTransportOptions::validate() const {
  if (path.empty()) return fail("invalid_printer_config", "printer.serial.port is empty");
  if (write_timeout.count() <= 0) {
    return fail("invalid_printer_config", "printer.write_timeout_ms must be positive");
  }
  return settings.validate();
}

namespace {

Error printer_error(const Error& serial_error, std::string_view what) {
  if (serial_error.code == "device_gone") return {"printer_disconnected", serial_error.message};
  if (serial_error.code == "serial_closed") return {"printer_closed", serial_error.message};
  return {fmt::format("printer_{}_failed", what), serial_error.message};
}

class SerialTransport final : public Transport {
 public:
  SerialTransport(asio::any_io_executor executor, SerialTransportOptions options)
      : executor_(std::move(executor)),
        options_(std::move(options)),
        name_("serial:" + options_.path) {}
  ~SerialTransport() override { close(); }

  std::string describe() const override { return name_; }
  bool can_read() const override { return options_.status_queries; }
  bool is_open() const override { return port_ != nullptr && port_->is_open(); }

  asio::awaitable<Status> open() override {
    close();
    auto port = serial::open_serial_port(options_.path, options_.settings, options_.driver);
    if (!port) {
      const Error& e = port.error();
      co_return fail(e.code == "device_absent" ? "device_absent" : "printer_open_failed",
                     e.message);
    }
    port_ = std::move(*port);
    waiter_.emplace(executor_, port_->native_handle());
    co_return Status{};
  }

  asio::awaitable<WriteResult> write(std::string_view bytes) override {
    WriteResult result;
    asio::steady_timer timer(executor_);
    while (result.written < bytes.size()) {
      if (!is_open()) {
        result.status = fail("printer_closed", name_ + " is not open");
        co_return result;
      }
      auto n = port_->write_some(bytes.substr(result.written));
      if (!n) {
        result.status = std::unexpected(printer_error(n.error(), "write"));
        co_return result;
      }
      result.written += *n;
      if (*n > 0) continue;
      timer.expires_after(options_.write_timeout);
      auto outcome = co_await (waiter_->async_wait(asio::posix::descriptor_base::wait_write,
                                                   asio::as_tuple(asio::use_awaitable)) ||
                               timer.async_wait(asio::as_tuple(asio::use_awaitable)));
      if (outcome.index() == 1) {
        result.status = fail("printer_timeout", fmt::format("write {}: no progress for {} ms",
                                                            name_, options_.write_timeout.count()));
        co_return result;
      }
    }
    co_return result;
  }

  asio::awaitable<Result<std::string>> read(std::size_t count,
                                            std::chrono::milliseconds timeout) override {
    if (!can_read()) co_return fail("printer_read_unsupported", name_ + " is write-only");
    std::string data(count, '\0');
    std::size_t got = 0;
    asio::steady_timer timer(executor_, timeout);
    while (got < count) {
      if (!is_open()) co_return fail("printer_closed", name_ + " is not open");
      auto n = port_->read_some(std::span<char>(data.data() + got, count - got));
      if (!n) co_return std::unexpected(printer_error(n.error(), "read"));
      got += *n;
      if (*n > 0) continue;
      auto outcome = co_await (waiter_->async_wait(asio::posix::descriptor_base::wait_read,
                                                   asio::as_tuple(asio::use_awaitable)) ||
                               timer.async_wait(asio::as_tuple(asio::use_awaitable)));
      if (outcome.index() == 1) {
        co_return fail("printer_timeout", fmt::format("read {}: {} of {} bytes within {} ms", name_,
                                                      got, count, timeout.count()));
      }
    }
    co_return data;
  }

  void discard_input() override {
    char sink[256];
    while (is_open()) {
      auto n = port_->read_some(sink);
      if (!n || *n == 0) break;
    }
  }

  void close() override {
    if (waiter_) {
      boost::system::error_code ignored;
      waiter_->cancel(ignored);
      (void)waiter_->release();  // the port owns the fd
      waiter_.reset();
    }
    if (port_) port_->close();
    port_.reset();
  }

 private:
  asio::any_io_executor executor_;
  SerialTransportOptions options_;
  std::string name_;
  std::unique_ptr<serial::SerialPort> port_;
  std::optional<asio::posix::stream_descriptor> waiter_;
};

}  // namespace

std::unique_ptr<Transport> make_serial_transport(asio::any_io_executor executor,
                                                 SerialTransportOptions options) {
  return std::make_unique<SerialTransport>(std::move(executor), std::move(options));
}

}  // namespace pma::printer
