// memberd's PrinterFleet state events for printers on each transport (TCP to the virtual
// printer, its pty as a device file and as a serial port): what the queues learn (paper out,
// unreachable, ready again) reaches on_state_change once per change. Real SQLite queue, real
// ESC/POS parser.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "agent/daemon/printer_fleet.h"
#include "tests/printer/queue_fixture.h"
#include "tests/support/temp_dir.h"
#include "tests/support/virtual_printer.h"

using pma::daemon::PrinterFleet;
using pma::test::PrinterState;
using pma::test::run_until;

namespace {

struct FleetFixture {
  pma::test::TempDir dir;
  boost::asio::io_context io;
  std::unique_ptr<pma::store::Database> db = pma::test::open_agent_db(dir.file("agent.db"));
  pma::test::VirtualPrinter printer{io};
  PrinterFleet fleet{io, *db};
  std::vector<pma::v1::DeviceState> events;

  void start(pma::config::PrinterConfig config) {
    config.name = "receipt";
    config.retry_ms = 20;
    fleet.on_state_change([this](const pma::v1::DeviceState& s) { events.push_back(s); });
    REQUIRE(fleet.start({config}).has_value());
  }

  void enqueue(int n) {
    REQUIRE(fleet.queue("")->enqueue(fmt::format("job-{}", n), pma::test::numbered_job(n)));
  }

  bool all_printed() { return fleet.queue("")->jobs().pending_count("receipt").value() == 0; }

  ~FleetFixture() {
    fleet.stop();
    run_until(io, [&] { return fleet.stopped(); });
  }
};

pma::config::PrinterConfig tcp_printer(std::uint16_t port) {
  pma::config::PrinterConfig config;
  config.transport = "tcp";
  config.tcp.host = "127.0.0.1";
  config.tcp.port = port;
  return config;
}

}  // namespace

TEST_CASE("Paper out on any transport is one state event, and paper back is one ready event",
          "[printer][health]") {
  FleetFixture f;
  pma::config::PrinterConfig config;
  std::string kind;
  SECTION("tcp") {
    config = tcp_printer(f.printer.listen_tcp());
    kind = "printer/tcp";
  }
  SECTION("device file (a pty)") {
    config.transport = "device";
    config.device.path = f.printer.serve_pty();
    kind = "printer/device";
  }
  SECTION("serial port (a pty)") {
    config.transport = "serial";
    config.serial.path = f.printer.serve_pty();
    config.serial.settings.baud = 115200;
    config.serial.driver = pma::serial::SerialDriver::termios;
    kind = "printer/serial";
  }
  f.start(config);
  f.printer.set_state(PrinterState::paper_out);
  f.enqueue(1);
  f.enqueue(2);
  REQUIRE(run_until(f.io, [&] { return !f.events.empty(); }));
  REQUIRE(f.events.size() == 1);
  CHECK(f.events[0].name() == "receipt");
  CHECK(f.events[0].kind() == kind);
  CHECK(f.events[0].state() == "error");
  CHECK_THAT(f.events[0].reason(), Catch::StartsWith("paper_out: "));
  CHECK(f.fleet.states().at(0).state() == "error");

  // The queue keeps asking; the jobs stay queued and nothing more is reported.
  int queries = f.printer.status_queries();
  REQUIRE(run_until(f.io, [&] { return f.printer.status_queries() > queries + 12; }));
  CHECK(f.events.size() == 1);
  CHECK(f.fleet.queue("")->jobs().pending_count("receipt").value() == 2);
  CHECK(f.printer.receipts().empty());

  f.printer.set_state(PrinterState::online);
  REQUIRE(run_until(f.io, [&] { return f.all_printed(); }));
  REQUIRE(f.events.size() == 2);
  CHECK(f.events[1].state() == "ready");
  CHECK_THAT(f.events[1].reason(), !Catch::StartsWith("paper_out"));  // "printing"
  CHECK(f.fleet.states().at(0).state() == "ready");
  REQUIRE(f.printer.receipts().size() == 2);
  CHECK(f.printer.parser().cut_receipts_containing("订单 1") == 1);
  CHECK(f.printer.parser().cut_receipts_containing("订单 2") == 1);
}

TEST_CASE("A TCP printer that stops accepting connections is one absent event, then ready",
          "[printer][health]") {
  FleetFixture f;
  std::uint16_t port = f.printer.listen_tcp();
  f.start(tcp_printer(port));
  f.enqueue(1);
  REQUIRE(run_until(f.io, [&] { return f.all_printed(); }));
  CHECK(f.events.empty());  // it was ready all along

  f.printer.stop_listening();
  f.enqueue(2);
  REQUIRE(run_until(f.io, [&] { return !f.events.empty(); }));
  REQUIRE(f.events.size() == 1);
  CHECK(f.events[0].state() == "absent");
  CHECK_THAT(f.events[0].reason(), Catch::StartsWith("printer_unreachable: "));
  CHECK_THAT(f.events[0].reason(), Catch::Contains(std::to_string(port)));

  // The job waits; another one joins it while the queue keeps retrying.
  auto waiting = f.fleet.queue("")->jobs().find(2).value().value();
  CHECK(waiting.state == pma::printing::JobState::queued);
  CHECK_THAT(waiting.last_error, Catch::StartsWith("printer_unreachable"));
  f.enqueue(3);

  f.printer.listen_tcp(port);
  REQUIRE(run_until(f.io, [&] { return f.all_printed(); }));
  REQUIRE(f.events.size() == 2);
  CHECK(f.events[1].state() == "ready");
  REQUIRE(f.printer.receipts().size() == 3);
  for (int n = 1; n <= 3; ++n) {
    CHECK(f.printer.parser().cut_receipts_containing(fmt::format("订单 {}", n)) == 1);
  }
}
