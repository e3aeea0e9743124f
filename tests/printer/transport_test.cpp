// Transports against the virtual printer on a loopback TCP port and on a real pty.
#include "drivers/printer/transport.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <optional>

#include "drivers/printer/escpos.h"
#include "tests/support/virtual_printer.h"

namespace asio = boost::asio;
using namespace pma::printer;
using pma::test::PrinterState;
using pma::test::run_until;
using pma::test::VirtualPrinter;

namespace {

// Runs one coroutine to completion on `io`, waiting with a generous deadline.
template <typename T>
T run(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> result;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { result.emplace(co_await std::move(task)); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  REQUIRE(run_until(io, [&] { return result.has_value(); }));
  return std::move(*result);
}

std::string receipt_bytes() {
  auto e = EscPosEncoder::create(48);
  REQUIRE(e.has_value());
  e->initialize().align(Align::center).line("测试页 Test page").qr("PMA-TEST").cut();
  return e->bytes();
}

void check_transport(asio::io_context& io, VirtualPrinter& printer, Transport& transport) {
  REQUIRE(run(io, transport.open()).has_value());
  CHECK(transport.is_open());

  auto status = run(io, query_status(transport, std::chrono::seconds(5)));
  REQUIRE(status.has_value());
  CHECK(status->known);
  CHECK(status->ready());

  std::string bytes = receipt_bytes();
  WriteResult sent = run(io, transport.write(bytes));
  REQUIRE(sent.status.has_value());
  CHECK(sent.written == bytes.size());
  REQUIRE(run_until(io, [&] { return printer.receipts().size() == 1; }));
  CHECK(printer.receipts()[0].lines.at(0).text == "测试页 Test page");
  CHECK(printer.receipts()[0].qr_codes.at(0).payload == "PMA-TEST");

  printer.set_state(PrinterState::paper_out);
  status = run(io, query_status(transport, std::chrono::seconds(5)));
  REQUIRE(status.has_value());
  CHECK(status->paper_out);
  CHECK(status->reason() == "paper_out");

  printer.set_state(PrinterState::cover_open);
  status = run(io, query_status(transport, std::chrono::seconds(5)));
  REQUIRE(status.has_value());
  CHECK(status->cover_open);

  printer.set_state(PrinterState::silent);  // a printer that never answers: unknown, not fine
  status = run(io, query_status(transport, std::chrono::milliseconds(200)));
  REQUIRE(status.has_value());
  CHECK_FALSE(status->known);

  printer.set_state(PrinterState::online);  // a late answer must not confuse the next query
  status = run(io, query_status(transport, std::chrono::seconds(5)));
  REQUIRE(status.has_value());
  CHECK(status->ready());
}

}  // namespace

TEST_CASE("TCP transport prints to and reads status from the virtual printer", "[printer]") {
  asio::io_context io;
  VirtualPrinter printer(io);
  std::uint16_t port = printer.listen_tcp();
  auto transport =
      make_tcp_transport(io.get_executor(), TcpOptions{.host = "127.0.0.1", .port = port});
  CHECK(transport->describe() == "tcp:127.0.0.1:" + std::to_string(port));
  check_transport(io, printer, *transport);
}

TEST_CASE("Device-file transport prints to the virtual printer through a pty", "[printer]") {
  asio::io_context io;
  VirtualPrinter printer(io);
  std::string path = printer.serve_pty();
  auto transport = make_device_file_transport(io.get_executor(), DeviceFileOptions{.path = path});
  check_transport(io, printer, *transport);
}

TEST_CASE("Serial transport prints through pma_serial's termios port on a pty", "[printer]") {
  asio::io_context io;
  VirtualPrinter printer(io);
  std::string path = printer.serve_pty();
  auto transport = make_serial_transport(
      io.get_executor(), SerialTransportOptions{.path = path,
                                                .settings = {.baud = 115200},
                                                .driver = pma::serial::SerialDriver::termios});
  CHECK(transport->describe() == "serial:" + path);
  check_transport(io, printer, *transport);
  transport->close();
  CHECK_FALSE(transport->is_open());
}

TEST_CASE("Transports report a missing printer as a value", "[printer]") {
  asio::io_context io;
  SECTION("no such device file") {
    auto transport = make_device_file_transport(
        io.get_executor(), DeviceFileOptions{.path = "/dev/usb/lp-does-not-exist"});
    auto opened = run(io, transport->open());
    REQUIRE_FALSE(opened.has_value());
    CHECK(opened.error().code == "device_absent");
  }
  SECTION("no such serial port") {
    auto transport = make_serial_transport(
        io.get_executor(), SerialTransportOptions{.path = "/dev/ttyUSB-does-not-exist"});
    auto opened = run(io, transport->open());
    REQUIRE_FALSE(opened.has_value());
    CHECK(opened.error().code == "device_absent");
  }
  SECTION("nothing listening") {
    std::uint16_t port;
    {
      VirtualPrinter printer(io);
      port = printer.listen_tcp();
    }
    auto transport =
        make_tcp_transport(io.get_executor(), TcpOptions{.host = "127.0.0.1", .port = port});
    auto opened = run(io, transport->open());
    REQUIRE_FALSE(opened.has_value());
    CHECK(opened.error().code == "printer_unreachable");
  }
  SECTION("a write-only transport has unknown status") {
    VirtualPrinter printer(io);
    auto transport = make_tcp_transport(
        io.get_executor(),
        TcpOptions{.host = "127.0.0.1", .port = printer.listen_tcp(), .status_queries = false});
    REQUIRE(run(io, transport->open()).has_value());
    auto status = run(io, query_status(*transport, std::chrono::seconds(1)));
    REQUIRE(status.has_value());
    CHECK_FALSE(status->known);
    CHECK(printer.status_queries() == 0);
  }
}

TEST_CASE("A dropped TCP connection is reported as printer_disconnected", "[printer]") {
  asio::io_context io;
  VirtualPrinter printer(io);
  auto transport = make_tcp_transport(
      io.get_executor(), TcpOptions{.host = "127.0.0.1", .port = printer.listen_tcp()});
  REQUIRE(run(io, transport->open()).has_value());
  printer.drop_connection_after(10);
  std::string bytes = receipt_bytes();
  (void)run(io, transport->write(bytes));  // may or may not fail: the kernel buffers it
  REQUIRE(run_until(io, [&] { return printer.connections_dropped() == 1; }));
  auto status = run(io, query_status(*transport, std::chrono::seconds(5)));
  REQUIRE_FALSE(status.has_value());
  CHECK(status.error().code == "printer_disconnected");
  CHECK(printer.receipts().empty());
}
