// TCP printer transport (raw port 9100, "JetDirect"): async resolve, connect, write, read.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <optional>

#include "drivers/printer/stream_io.h"
#include "drivers/printer/transport.h"

namespace pma::printer {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

Status TcpOptions::validate() const {
  if (host.empty()) return fail("invalid_printer_config", "printer.host is empty");
  if (port == 0) return fail("invalid_printer_config", "printer.port must be 1..65535");
  if (connect_timeout.count() <= 0 || write_timeout.count() <= 0) {
    return fail("invalid_printer_config", "printer timeouts must be positive");
  }
  return {};
}

namespace {

class TcpTransport final : public Transport {
 public:
  TcpTransport(asio::any_io_executor executor, TcpOptions options)
      : executor_(std::move(executor)),
        options_(std::move(options)),
        name_(fmt::format("tcp:{}:{}", options_.host, options_.port)) {}

  std::string describe() const override { return name_; }
  bool can_read() const override { return options_.status_queries; }
  bool is_open() const override { return socket_.has_value() && socket_->is_open(); }

  asio::awaitable<Status> open() override {
    close();
    tcp::resolver resolver(executor_);
    asio::steady_timer timer(executor_, options_.connect_timeout);
    auto resolved = co_await (resolver.async_resolve(options_.host, std::to_string(options_.port),
                                                     asio::as_tuple(asio::use_awaitable)) ||
                              timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (resolved.index() == 1) co_return timed_out("resolve");
    auto [resolve_ec, endpoints] = std::get<0>(resolved);
    if (resolve_ec) {
      co_return fail("printer_unreachable",
                     fmt::format("resolve {}: {}", name_, resolve_ec.message()));
    }
    tcp::socket socket(executor_);
    auto connected =
        co_await (asio::async_connect(socket, endpoints, asio::as_tuple(asio::use_awaitable)) ||
                  timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (connected.index() == 1) co_return timed_out("connect");
    auto [connect_ec, endpoint] = std::get<0>(connected);
    if (connect_ec) {
      co_return fail("printer_unreachable",
                     fmt::format("connect {}: {}", name_, connect_ec.message()));
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    socket.set_option(asio::socket_base::keep_alive(true), ignored);
    socket_.emplace(std::move(socket));
    co_return Status{};
  }

  asio::awaitable<WriteResult> write(std::string_view bytes) override {
    if (!is_open()) co_return WriteResult{0, fail("printer_closed", name_ + " is not connected")};
    co_return co_await detail::timed_write(*socket_, bytes, options_.write_timeout, name_);
  }

  asio::awaitable<Result<std::string>> read(std::size_t count,
                                            std::chrono::milliseconds timeout) override {
    if (!can_read()) {
      co_return fail("printer_read_unsupported", name_ + " is configured write-only");
    }
    if (!is_open()) co_return fail("printer_closed", name_ + " is not connected");
    co_return co_await detail::timed_read(*socket_, count, timeout, name_);
  }

  void discard_input() override {
    if (is_open()) detail::discard_buffered(*socket_);
  }

  void close() override {
    if (!socket_) return;
    boost::system::error_code ignored;
    socket_->shutdown(tcp::socket::shutdown_both, ignored);
    socket_->close(ignored);
    socket_.reset();
  }

 private:
  Status timed_out(std::string_view step) const {
    return fail("printer_unreachable", fmt::format("{} {}: no answer within {} ms", step, name_,
                                                   options_.connect_timeout.count()));
  }

  asio::any_io_executor executor_;
  TcpOptions options_;
  std::string name_;
  std::optional<tcp::socket> socket_;
};

}  // namespace

std::unique_ptr<Transport> make_tcp_transport(asio::any_io_executor executor, TcpOptions options) {
  return std::make_unique<TcpTransport>(std::move(executor), std::move(options));
}

}  // namespace pma::printer
