// memberd's PrinterFleet with a device-file printer whose path is in a TempDir: absent, then a
// pty symlink served by the virtual printer appears. Real SQLite queue, real ESC/POS parser.
#include "agent/daemon/printer_fleet.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <vector>

#include "tests/printer/queue_fixture.h"
#include "tests/support/temp_dir.h"
#include "tests/support/virtual_printer.h"

namespace fs = std::filesystem;
using pma::daemon::PrinterFleet;
using pma::test::run_until;

namespace {

pma::config::PrinterConfig device_printer(const std::string& path) {
  pma::config::PrinterConfig config;
  config.name = "receipt";
  config.transport = "device";
  config.device.path = path;
  config.retry_ms = 50;
  return config;
}

// Runs every handler that is ready, until none is: the queue's worker is then parked.
void settle(boost::asio::io_context& io) {
  io.restart();
  while (io.poll() > 0) {
  }
}

void stop(boost::asio::io_context& io, PrinterFleet& fleet) {
  fleet.stop();
  REQUIRE(run_until(io, [&] { return fleet.stopped(); }));
  settle(io);
}

}  // namespace

TEST_CASE(
    "A device printer whose path is missing is absent, keeps its job and prints it once "
    "when the device appears",
    "[printer]") {
  pma::test::TempDir dir;
  boost::asio::io_context io;
  auto db = pma::test::open_agent_db(dir.file("agent.db"));
  std::string path = dir.file("lp0");
  auto config = device_printer(path);

  auto fleet = std::make_unique<PrinterFleet>(io, *db);
  std::vector<pma::v1::DeviceState> events;
  fleet->on_state_change([&](const pma::v1::DeviceState& s) { events.push_back(s); });
  REQUIRE(fleet->start({config}).has_value());

  // Before any job tried the printer.
  auto state = fleet->states().at(0);
  CHECK(state.kind() == "printer/device");
  CHECK(state.state() == "absent");
  CHECK_THAT(state.reason(), Catch::StartsWith("device_absent: "));
  CHECK_THAT(state.reason(), Catch::Contains(path));

  auto accepted = fleet->queue("")->enqueue("job-1", pma::test::numbered_job(1));
  REQUIRE(accepted.has_value());
  settle(io);
  CHECK(fleet->states().at(0).state() == "absent");
  auto job = fleet->queue("")->jobs().find(accepted->job_id);
  REQUIRE(job.has_value());
  REQUIRE(job->has_value());
  CHECK((*job)->state == pma::printing::JobState::queued);
  CHECK((*job)->attempts == 0);
  CHECK((*job)->last_error.empty());  // the worker waits for the device, it does not fail open()

  SECTION("the job survives a restart while the device is absent") {
    stop(io, *fleet);
    fleet = std::make_unique<PrinterFleet>(io, *db);
    fleet->on_state_change([&](const pma::v1::DeviceState& s) { events.push_back(s); });
    REQUIRE(fleet->start({config}).has_value());
    settle(io);
    CHECK(fleet->queue("")->jobs().pending_count("receipt").value() == 1);
    CHECK(fleet->states().at(0).state() == "absent");
  }

  pma::test::VirtualPrinter printer(io);
  fs::create_symlink(printer.serve_pty(), path);  // the printer is plugged in
  REQUIRE(run_until(io, [&] {
    return printer.receipts().size() == 1 && fleet->queue("")->jobs().pending_count("receipt") == 0;
  }));
  settle(io);
  CHECK(printer.parser().cut_receipts_containing("订单 1") == 1);
  CHECK(printer.receipts().size() == 1);
  CHECK(fleet->states().at(0).state() == "ready");
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().state() == "ready");

  fs::remove(path);  // unplugged again, while idle
  REQUIRE(run_until(io, [&] { return fleet->states().at(0).state() == "absent"; }));
  CHECK(events.back().state() == "absent");
  CHECK_THAT(events.back().reason(), Catch::Contains("device_absent: " + path));
  CHECK(printer.receipts().size() == 1);  // printed once

  stop(io, *fleet);
}

TEST_CASE(
    "A device printer unplugged mid-job is one absent event and, plugged back in, one ready "
    "event",
    "[printer]") {
  pma::test::TempDir dir;
  boost::asio::io_context io;
  auto db = pma::test::open_agent_db(dir.file("agent.db"));
  std::string path = dir.file("lp0");
  auto before = std::make_unique<pma::test::VirtualPrinter>(io);
  fs::create_symlink(before->serve_pty(), path);

  PrinterFleet fleet(io, *db);
  std::vector<pma::v1::DeviceState> events;
  fleet.on_state_change([&](const pma::v1::DeviceState& s) { events.push_back(s); });
  REQUIRE(fleet.start({device_printer(path)}).has_value());
  REQUIRE(fleet.queue("")->enqueue("job-1", pma::test::numbered_job(1)));
  REQUIRE(run_until(io, [&] { return before->receipts().size() == 1; }));

  // The cable is pulled before the next job: its write fails first, then the file vanishes.
  before.reset();
  REQUIRE(fleet.queue("")->enqueue("job-2", pma::test::numbered_job(2)));
  REQUIRE(run_until(io, [&] { return fleet.queue("")->health().activity == "waiting"; }));
  CHECK(fleet.states().at(0).state() == "absent");
  fs::remove(path);
  REQUIRE(run_until(io, [&] { return !fleet.states().at(0).reason().starts_with("printer_"); }));
  settle(io);

  pma::test::VirtualPrinter after(io);
  fs::create_symlink(after.serve_pty(), path);  // plugged back in
  REQUIRE(
      run_until(io, [&] { return fleet.queue("")->jobs().pending_count("receipt").value() == 0; }));
  settle(io);
  CHECK(after.parser().cut_receipts_containing("订单 2") == 1);

  std::vector<std::string> seen;
  for (const auto& e : events) seen.push_back(e.state());
  CHECK(seen == std::vector<std::string>{"absent", "ready"});
  stop(io, fleet);
}
